"""The job site's side of jobmatch: the producer library and a reader of a worker's metrics.

:mod:`client.producer` publishes validated contract events to Kafka;
:mod:`client.metrics_reader` reads and summarises a worker's ``/metrics``.
"""
