"""Read a worker's Prometheus text: counters, histogram buckets and their quantiles.

Quantiles are computed as Prometheus' ``histogram_quantile`` does (linear interpolation
inside the bucket) over the difference of two scrapes, so a figure covers exactly the
measurement window.
"""

from __future__ import annotations

import math
import urllib.request
from collections import defaultdict
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Scrape:
    """Every sample of one scrape, by (name, sorted labels)."""

    samples: dict[tuple[str, Labels], float]

    @classmethod
    def fetch(cls, port: int, *, timeout: float = 10.0) -> Scrape:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
            return cls.parse(r.read().decode())

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples: dict[tuple[str, Labels], float] = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return cls(samples)

    def total(self, name: str, **labels: str) -> float:
        """Sum of ``name``'s samples whose labels include ``labels``."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and want <= set(ls))

    def buckets(self, name: str, **labels: str) -> dict[float, float]:
        """Cumulative bucket counts (le -> count) of histogram ``name``, other labels summed."""
        want = set(labels.items())
        out: dict[float, float] = defaultdict(float)
        for (n, ls), value in self.samples.items():
            if n == f"{name}_bucket" and want <= set(ls):
                out[float(dict(ls)["le"])] += value
        return dict(out)


def delta(later: dict[float, float], earlier: dict[float, float]) -> dict[float, float]:
    """Bucket counts of the interval between two scrapes."""
    return {le: later[le] - earlier.get(le, 0.0) for le in later}


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """``histogram_quantile(q, buckets)``; None when the histogram is empty.

    >>> quantile(0.5, {0.1: 0.0, 0.2: 10.0, math.inf: 10.0})
    0.15000000000000002
    >>> quantile(0.99, {1.0: 5.0, math.inf: 10.0})
    1.0
    """
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # beyond the last finite bucket: its edge is all we know
            width = count - lower_count
            fraction = (rank - lower_count) / width if width > 0 else 1.0
            return lower_bound + (bound - lower_bound) * fraction
        lower_bound, lower_count = bound, count
    return lower_bound


def share_at_most(limit: float, buckets: dict[float, float]) -> float | None:
    """Share of observations <= ``limit`` (``limit`` must be a bucket bound)."""
    total = buckets.get(math.inf, 0.0)
    if total <= 0:
        return None
    return buckets.get(limit, 0.0) / total
