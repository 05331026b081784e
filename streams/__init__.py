"""Moving events: Faust agents, topics, tables, Redis writes, producers and the CLI."""
