"""Metric names: which ones a worker exports, and which ones a PromQL expression reads.

Used to check that the alert rules and the Grafana dashboard only query metrics that
``streams.metrics`` defines, so a renamed metric breaks a test instead of a dashboard.
"""

from __future__ import annotations

import re

from prometheus_client.metrics import MetricWrapperBase

from streams import metrics

# Series Prometheus adds to every scrape target itself.
PROMETHEUS_SERIES = frozenset({"up"})

# The series a client_golang-style exposition produces for each metric type. `_created`
# series exist too but nothing should query them.
_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "info": ("_info",),
}

_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
    | {"and", "or", "unless", "offset", "inf", "nan"}
)
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_LABEL_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_TEMPLATE_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
# An identifier that is not part of a number or a longer name and is not a function call.
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")


def exported_metric_names() -> frozenset[str]:
    """Every series name the collectors defined in ``streams.metrics`` expose."""
    names: set[str] = set()
    for collector in vars(metrics).values():
        if not isinstance(collector, MetricWrapperBase):
            continue
        for family in collector.describe():
            names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
    return frozenset(names)


def metric_names_in(expr: str) -> set[str]:
    """The metric names a PromQL expression selects.

    A small tokenizer, not a parser: strings, label matchers, ranges and grouping clauses
    are removed, then every identifier that is neither a keyword nor a function call is a
    metric name. Grafana variables (``$job``, ``$__rate_interval``) are ignored.
    """
    text = _STRING.sub('""', expr)
    text = _LABEL_MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _TEMPLATE_VARIABLE.sub(" ", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}


def unknown_metric_names(expr: str, known: frozenset[str] | set[str]) -> set[str]:
    """Metric names in ``expr`` that are neither in ``known`` nor Prometheus' own."""
    return metric_names_in(expr) - set(known) - PROMETHEUS_SERIES
