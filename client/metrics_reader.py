"""Read a worker's ``/metrics`` and summarise it: used by ``jobmatch demo`` and tests.

Quantiles come from histogram buckets the way Prometheus' ``histogram_quantile`` computes
them (linear interpolation inside the bucket), over the difference between two scrapes.
"""

from __future__ import annotations

import math
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Scrape:
    """One scrape: every sample by (name, sorted labels)."""

    samples: dict[tuple[str, Labels], float] = field(default_factory=dict)

    @classmethod
    def fetch(cls, url: str, *, timeout: float = 5.0) -> Scrape:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return cls.parse(response.read().decode())

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
        """Cumulative bucket counts of histogram ``name`` (summed over other labels)."""
        want = set(labels.items())
        out: dict[float, float] = defaultdict(float)
        for (n, ls), value in self.samples.items():
            if n == f"{name}_bucket" and want <= set(ls):
                out[float(dict(ls)["le"])] += value
        return dict(out)


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """``histogram_quantile(q, ...)`` of cumulative ``buckets`` (le -> count); None if empty."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # above the highest finite bucket: report its edge
            width = count - lower_count
            fraction = (rank - lower_count) / width if width > 0 else 1.0
            return lower_bound + (bound - lower_bound) * fraction
        lower_bound, lower_count = bound, count
    return lower_bound


def delta(later: dict[float, float], earlier: dict[float, float]) -> dict[float, float]:
    """Bucket counts of the interval between two scrapes."""
    return {le: later[le] - earlier.get(le, 0.0) for le in later}


def share_at_most(limit: float, buckets: dict[float, float]) -> float | None:
    """Share of observations <= ``limit`` (``limit`` must be a bucket bound)."""
    total = buckets.get(math.inf, 0.0)
    if total <= 0:
        return None
    return buckets.get(limit, 0.0) / total
