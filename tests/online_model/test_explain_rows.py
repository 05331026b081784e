"""``explain_rows`` (the vectorized reasons a list write uses) equals ``explain_row`` per row."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from online_model.explain import MIN_CONTRIBUTION, explain_row, explain_rows
from online_model.features import FEATURES

N = len(FEATURES)
# Few distinct values, so that equal contributions (ties broken by name) are common.
values = st.sampled_from([0.0, MIN_CONTRIBUTION, 0.2, 0.5, 1.0, -0.5, float("nan")])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(values, min_size=N, max_size=N), max_size=8),
    weights=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0]), min_size=N, max_size=N),
    max_reasons=st.integers(min_value=1, max_value=4),
)
def test_every_row_gets_the_reasons_explain_row_gives(
    rows: list[list[float]], weights: list[float], max_reasons: int
) -> None:
    x = np.array(rows, dtype=np.float64).reshape(len(rows), N)
    w = np.array(weights, dtype=np.float64)
    expected = [explain_row(x[i], w, max_reasons=max_reasons) for i in range(len(x))]
    assert explain_rows(x, w, max_reasons=max_reasons) == expected


def test_a_realistic_list_of_120_rows_agrees() -> None:
    rng = np.random.default_rng(7)
    x = rng.random((120, N)) * rng.integers(0, 2, size=(120, N))
    w = rng.normal(size=N)
    assert explain_rows(x, w) == [explain_row(row, w) for row in x]
