"""Benchmarks of jobmatch against the real Kafka broker and Redis server.

``python -m bench.run [--quick]`` (``make bench``, ``QUICK=1``) runs every scenario of
issue 7 and writes ``docs/benchmarks.md`` and ``bench/results.json``. One module per
scenario (:mod:`bench.limits`, :mod:`bench.throughput`, :mod:`bench.freshness`,
:mod:`bench.growth`, :mod:`bench.memory`), a small shared harness (:mod:`bench.harness`,
:mod:`bench.worker`, :mod:`bench.prom`, :mod:`bench.events`, :mod:`bench.results`).
"""
