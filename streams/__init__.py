"""Moving events: the Faust app, topics, tables, agents, timers, feeds, the trainer, dead
letters, metrics, the Redis writer and the worker that wires them."""
