"""Why a posting is on a seeker's list: the largest contributions as short Korean reasons.

A feature's contribution is its weight times its value (its share of the logit). The two or
three largest positive contributions above ``MIN_CONTRIBUTION`` become reasons, each
reason said once (``region_sigungu`` and ``region_home`` may both say 거주지 인근).
Features without a reason a seeker would understand (``wage_unknown``, ``edu_over``) are
never shown.

A posting that breaks a stated preference (the soft constraints: ``region_outside``,
``wage_below``, ``edu_short``, ``cert_missing``) is on a list because the rest outweighs
it; the seeker is told so, after the reasons, by a short note (``CAVEATS``, e.g.
"희망 지역 외"). A note depends on the pair only, not on the weights: it is a fact.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from online_model.features import FEATURES

# Feature -> the reason a seeker reads in the list ("why am I seeing this?").
REASONS: Mapping[str, str] = {
    "occ_middle": "희망 직종 일치",
    "occ_group": "유사 직종",
    "title_sim": "희망 직무 키워드 일치",
    "skill_sim": "보유 기술 일치",
    "cert_match": "보유 자격증 일치",
    "region_sigungu": "희망 지역",
    "region_sido": "희망 시도",
    "region_adjacent": "인접 지역",
    "region_home": "거주지 인근",
    "wage_meets": "희망 임금 충족",
    "wage_gap": "희망 임금 이상",
    "edu_match": "학력 조건 충족",
    "career_fit": "경력 조건 충족",
    "emptype_match": "희망 고용형태",
    "freshness": "최근 등록",
    "deadline_days": "마감 여유",
    "popularity": "지원자 관심 많음",
    "hist_occupation": "지원 이력 직종",
    "hist_employer": "지원 이력 기업",
    "hist_tokens": "최근 본 공고와 비슷한 직무",
    "hist_place": "최근 관심 지역",
    "hist_wage": "최근 본 공고 수준의 임금",
    "item_neighbour": "이 공고를 본 구직자들이 함께 본 공고",
}
# Soft constraint -> the note shown when a listed posting breaks it (value >= 0.5).
CAVEATS: Mapping[str, str] = {
    "region_outside": "희망 지역 외",
    "wage_below": "희망 임금 미만",
    "edu_short": "요구 학력 미달",
    "cert_missing": "요구 자격증 미보유",
}
MIN_CONTRIBUTION = 0.1
MAX_REASONS = 3


def reasons_from_contributions(
    contributions: Mapping[str, float], *, max_reasons: int = MAX_REASONS
) -> list[str]:
    """The largest positive contributions as reasons, best first, each said once.

    Parameters
    ----------
    contributions
        Feature name to weight x value.
    max_reasons
        At most this many reasons.

    Examples
    --------
    >>> reasons_from_contributions({"occ_middle": 2.0, "region_home": 0.4, "wage_gap": -0.3,
    ...                             "freshness": 0.05})
    ['희망 직종 일치', '거주지 인근']
    """
    ranked = sorted(
        (c, name) for name, c in contributions.items() if c >= MIN_CONTRIBUTION and name in REASONS
    )
    out: list[str] = []
    for _, name in reversed(ranked):
        reason = REASONS[name]
        if reason not in out:
            out.append(reason)
        if len(out) == max_reasons:
            break
    return out


def caveats_of(values: Mapping[str, float]) -> list[str]:
    """The notes of the soft constraints a pair breaks, in ``CAVEATS`` order.

    Examples
    --------
    >>> caveats_of({"region_outside": 1.0, "wage_below": 0.0, "occ_middle": 1.0})
    ['희망 지역 외']
    """
    return [note for name, note in CAVEATS.items() if values.get(name, 0.0) >= 0.5]


def explain_row(
    row: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    *,
    max_reasons: int = MAX_REASONS,
) -> list[str]:
    """Reasons for one row of a feature matrix (columns in ``FEATURES`` order), then the
    notes of the soft constraints it breaks.

    Examples
    --------
    >>> w = np.zeros(len(FEATURES)); w[FEATURES.index("cert_match")] = 0.8
    >>> x = np.zeros(len(FEATURES)); x[FEATURES.index("cert_match")] = 1.0
    >>> explain_row(x, w)
    ['보유 자격증 일치']
    >>> x[FEATURES.index("region_outside")] = 1.0
    >>> explain_row(x, w)
    ['보유 자격증 일치', '희망 지역 외']
    """
    contrib = row * weights
    reasons = reasons_from_contributions(
        {name: float(contrib[i]) for i, name in enumerate(FEATURES)}, max_reasons=max_reasons
    )
    return reasons + caveats_of({name: float(row[i]) for i, name in enumerate(FEATURES)})


# Columns of FEATURES that can become a reason, and each column's rank by name (ties in
# contribution are broken by name, as reasons_from_contributions sorts (value, name)).
_EXPLAINABLE = np.array([name in REASONS for name in FEATURES], dtype=np.bool_)
_NAME_RANK = np.argsort(np.argsort(np.array(FEATURES, dtype=object))).astype(np.int64)
_CAVEAT_COLUMNS = [(FEATURES.index(name), note) for name, note in CAVEATS.items()]


def explain_rows(
    rows: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    *,
    max_reasons: int = MAX_REASONS,
) -> list[list[str]]:
    """Reasons for every row of a feature matrix: ``explain_row`` of each, vectorized.

    A list written to Redis carries reasons for all its items, so this runs for every
    list write; one sort of the whole matrix, instead of a dict of every feature per row,
    makes it several times faster.

    Parameters
    ----------
    rows
        Feature matrix, columns in ``FEATURES`` order.
    weights
        The ranker's weight vector.
    max_reasons
        At most this many reasons per row.

    Examples
    --------
    >>> w = np.zeros(len(FEATURES))
    >>> w[FEATURES.index("cert_match")], w[FEATURES.index("occ_middle")] = 0.8, 2.0
    >>> x = np.zeros((2, len(FEATURES))); x[0] = 1.0
    >>> explain_rows(x, w)[0][:2], explain_rows(x, w)[1]
    (['희망 직종 일치', '보유 자격증 일치'], [])
    """
    if len(rows) == 0:
        return []
    contrib = rows * weights
    keep = (contrib >= MIN_CONTRIBUTION) & _EXPLAINABLE
    # Best first: contribution descending, then name descending; the rest sort last.
    primary = np.where(keep, -contrib, np.inf)
    secondary = np.broadcast_to(-_NAME_RANK, primary.shape)
    order = np.lexsort((secondary, primary), axis=1)
    broken = [(rows[:, c] >= 0.5).tolist() for c, _ in _CAVEAT_COLUMNS]
    out: list[list[str]] = []
    for i, (columns, n) in enumerate(zip(order.tolist(), keep.sum(axis=1).tolist(), strict=True)):
        reasons: list[str] = []
        for c in columns[:n]:
            reason = REASONS[FEATURES[c]]
            if reason not in reasons:
                reasons.append(reason)
            if len(reasons) == max_reasons:
                break
        reasons += [note for (_, note), hit in zip(_CAVEAT_COLUMNS, broken, strict=True) if hit[i]]
        out.append(reasons)
    return out
