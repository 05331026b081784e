"""The live lists of one worker, as a pure engine: events in, changes out.

:class:`~online_model.live.engine.LiveEngine` holds what ranking needs (catalog, candidate
index, owned seekers, model snapshot) and every owned seeker's list and employer-list
membership. Each method takes an event, a snapshot or a clock tick and returns the
:mod:`~online_model.live.changes` a sink must write; nothing here does I/O.
"""
