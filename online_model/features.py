"""Features of a (seeker, posting) pair, one family per function, and their vectorized form.

Every feature is a float, most in [0, 1] (``wage_gap`` in [-1, 1]), so one learning rate
suits all of them and the hand-set prior of :mod:`online_model.ranker` reads as "how many
logits is this worth". :func:`pair_features` gives the dict of one pair (what River learns
from and what training examples carry); :func:`feature_matrix` gives the same numbers for
many postings of the catalog at once (tested equal to 1e-12).

=================  ===================================================================
feature            meaning
=================  ===================================================================
occ_middle         posting's occupation is one the seeker wants (same middle code)
occ_group          same top-level group, not the same middle code
title_sim          share of the seeker's desired-title tokens found in the posting's
                   title, skills and certificates
skill_sim          share of the seeker's skill tokens found there
cert_match         the seeker holds one of the posting's certificates
cert_missing       the posting lists certificates and the seeker holds none of them
region_sigungu     posting in a desired 시군구 or the home 시군구 (구 match on their city)
region_sido        posting in a desired 시도 (or the 시도 of a desired 시군구 or home)
region_adjacent    posting in a neighbouring 시도 of those
region_home        posting in the home 시군구
region_outside     posting outside the seeker's commuting area (``regions.accepted_regions``)
wage_meets         best monthly wage offered >= the seeker's desired monthly minimum
wage_gap           log(offered / desired), clipped to [-1, 1]
wage_unknown       either side did not state a wage
wage_below         best monthly wage more than ``WAGE_TOLERANCE`` (10 %) below the minimum
edu_match          the seeker meets the education requirement
edu_over           the seeker is two or more levels above a stated requirement
edu_short          the posting asks for more education than the seeker states
career_fit         career years inside the posting's range
career_short       years missing to the posting's minimum, / 5, capped at 1
emptype_match      employment types overlap (1), do not (0), unknown (0.5)
freshness          exp(-days since posted / 7)
deadline_days      days to the deadline / 30, in [0, 1]; 1 for 채용시까지
popularity         smoothed decayed apply rate x 5, capped at 1 (0.25 with no data)
hist_occupation    max(applies in this occupation / 3 capped at 1, the implicit profile's
                   weight of this occupation relative to its main one)
hist_employer      max(applies to this employer / 2 capped at 1, share of engagement
                   weight on this employer)
hist_tokens        token overlap with the engaged postings (``ImplicitProfile.token_score``)
hist_place         engagement weight of this 시군구 relative to the main one (half that
                   of this 시도)
hist_wage          best monthly wage >= 90 % of the engaged postings' mean wage
hist_dismiss       token overlap with dismissed postings (a negative signal)
item_neighbour     what seekers who engaged with the seeker's engaged postings also
                   engaged with (``ImplicitProfile.neighbour_score``, :mod:`neighbours`)
=================  ===================================================================

``cert_missing``, ``region_outside``, ``wage_below`` and ``edu_short`` are the soft forms of
what used to be hard filters (docs/model.md, "Hard and soft rules"): a posting that breaks a
stated preference is ranked down by the weight the model learns, never hidden.

The ``hist_*`` features after the first two come from the implicit profile
(:mod:`online_model.implicit`), derived from the seeker's engagements at rank time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from online_model.catalog import (
    PostingCatalog,
    best_monthly_wage,
    employment_mask,
    occupation_group,
    posting_text_tokens,
)
from online_model.context import DAY_MS, PRIOR_APPLIES, PRIOR_IMPRESSIONS, RankContext
from online_model.history import SeekerHistory
from online_model.implicit import (
    EMPTY_IMPLICIT,
    ImplicitProfile,
    catalog_implicit,
    code_shares,
    neighbour_column,
    token_scores,
)
from online_model.normalize import deadline_ms, education_rank, monthly_krw
from online_model.regions import (
    AcceptedRegions,
    SeekerPlaces,
    accepted_regions,
    posting_region,
    seeker_places,
    sido_index,
)
from online_model.text import DEFAULT_TOKENIZER, Tokenizer, normalize_certificate, tokens_of_all
from schemas.postings import Posting
from schemas.profiles import Profile

FEATURES: tuple[str, ...] = (
    "occ_middle",
    "occ_group",
    "title_sim",
    "skill_sim",
    "cert_match",
    "cert_missing",
    "region_sigungu",
    "region_sido",
    "region_adjacent",
    "region_home",
    "region_outside",
    "wage_meets",
    "wage_gap",
    "wage_unknown",
    "wage_below",
    "edu_match",
    "edu_over",
    "edu_short",
    "career_fit",
    "career_short",
    "emptype_match",
    "freshness",
    "deadline_days",
    "popularity",
    "hist_occupation",
    "hist_employer",
    "hist_tokens",
    "hist_place",
    "hist_wage",
    "hist_dismiss",
    "item_neighbour",
)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(FEATURES)}

FRESHNESS_DAYS = 7.0
# A wage this far (a fraction) below the seeker's minimum counts as ``wage_below``.
WAGE_TOLERANCE = 0.10
# A posting "meets" the engaged wage level at 90 % of it (wages of similar jobs scatter).
HIST_WAGE_RATIO = 0.9
DEADLINE_HORIZON_DAYS = 30.0

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SeekerQuery:
    """What features and retrieval need from a profile, computed once per profile.

    Examples
    --------
    >>> from schemas.profiles import Profile
    >>> q = seeker_query(Profile("S1", desired_occupation_codes=("07C",), skills=("지게차",)))
    >>> q.groups, sorted(q.skill_tokens)
    (frozenset({'07'}), ['게차', '지게'])
    """

    occupations: frozenset[str]
    groups: frozenset[str]
    title_tokens: frozenset[str]
    skill_tokens: frozenset[str]
    certificates: frozenset[str]
    places: SeekerPlaces
    accepted: AcceptedRegions
    desired_monthly: float | None
    education: int | None
    career_years: int
    employment: int


# Sized for the seekers of one worker: a miss re-tokenizes the profile (~20 us).
@lru_cache(maxsize=65536)
def _query(profile: Profile, tokenizer: Tokenizer) -> SeekerQuery:
    occupations = frozenset(c for c in profile.desired_occupation_codes if c)
    groups = frozenset(g for g in (occupation_group(c) for c in occupations) if g)
    wage = profile.desired_wage
    return SeekerQuery(
        occupations=occupations,
        groups=groups,
        title_tokens=tokens_of_all(tokenizer, profile.desired_titles),
        skill_tokens=tokens_of_all(tokenizer, profile.skills),
        certificates=frozenset(normalize_certificate(c) for c in profile.certificates) - {""},
        places=seeker_places(profile),
        accepted=accepted_regions(profile),
        desired_monthly=monthly_krw(wage.min, wage.type) if wage is not None else None,
        education=education_rank(profile.education_level),
        career_years=profile.career_years,
        employment=employment_mask(profile.employment_types),
    )


# Postings are immutable values: a hit saves re-tokenizing (or re-locating) a posting for
# every pair it is scored in one by one (training examples, reasons).
@lru_cache(maxsize=65536)
def _posting_tokens(posting: Posting, tokenizer: Tokenizer) -> frozenset[str]:
    return posting_text_tokens(posting, tokenizer)


@lru_cache(maxsize=65536)
def _posting_region(posting: Posting) -> tuple[str | None, str | None]:
    return posting_region(posting)


def seeker_query(profile: Profile, tokenizer: Tokenizer = DEFAULT_TOKENIZER) -> SeekerQuery:
    """The :class:`SeekerQuery` of a profile (cached on the profile's value)."""
    return _query(profile, tokenizer)


# -- one family per function (the reference form) ---------------------------------------


def occupation_features(q: SeekerQuery, posting: Posting) -> dict[str, float]:
    """``occ_middle``, ``occ_group``.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> q = seeker_query(Profile("S1", desired_occupation_codes=("07C",)))
    >>> occupation_features(q, Posting("P1", "E1", "x", "x", 0, occupation_code="07A"))
    {'occ_middle': 0.0, 'occ_group': 1.0}
    """
    code = posting.occupation_code
    middle = code is not None and code in q.occupations
    group = not middle and occupation_group(code) in q.groups
    return {"occ_middle": float(middle), "occ_group": float(group)}


def text_features(
    q: SeekerQuery, posting: Posting, tokenizer: Tokenizer = DEFAULT_TOKENIZER
) -> dict[str, float]:
    """``title_sim``, ``skill_sim``, ``cert_match``, ``cert_missing``.

    The contract has no "required" marker on a posting's certificates, so a listed
    certificate the seeker lacks is a penalty the model weighs (``cert_missing``), not a veto.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> q = seeker_query(
    ...     Profile("S1", desired_titles=("지게차",), certificates=("지게차운전기능사",)))
    >>> p = Posting("P1", "E1", "x", "지게차 운전원", 0, certificates=("지게차 운전기능사",))
    >>> text_features(q, p)
    {'title_sim': 1.0, 'skill_sim': 0.0, 'cert_match': 1.0, 'cert_missing': 0.0}
    """
    tokens = _posting_tokens(posting, tokenizer)
    title = len(q.title_tokens & tokens) / len(q.title_tokens) if q.title_tokens else 0.0
    skill = len(q.skill_tokens & tokens) / len(q.skill_tokens) if q.skill_tokens else 0.0
    certs = {normalize_certificate(c) for c in posting.certificates} - {""}
    held = bool(q.certificates & certs)
    return {
        "title_sim": title,
        "skill_sim": skill,
        "cert_match": float(held),
        "cert_missing": float(bool(certs) and not held),
    }


def region_features(q: SeekerQuery, posting: Posting) -> dict[str, float]:
    """``region_sigungu``, ``region_sido``, ``region_adjacent``, ``region_home``,
    ``region_outside`` (beyond the commuting area; a posting without a place is inside).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> q = seeker_query(Profile("S1", home_region_code="11680"))
    >>> near = region_features(q, Posting("P1", "E1", "x", "x", 0, region_code="41590"))
    >>> far = region_features(q, Posting("P2", "E1", "x", "x", 0, region_code="26350"))
    >>> near["region_adjacent"], near["region_outside"], far["region_outside"]
    (1.0, 0.0, 1.0)
    """
    sigungu, sido = _posting_region(posting)
    pl = q.places
    outside = not q.accepted.accepts(sigungu, sido)
    in_sigungu = sigungu is not None and sigungu in pl.sigungu
    in_sido = not in_sigungu and sido is not None and sido in pl.sido
    near = not in_sigungu and not in_sido and sido is not None and sido in pl.near
    home = sigungu is not None and sigungu == pl.home
    return {
        "region_sigungu": float(in_sigungu),
        "region_sido": float(in_sido),
        "region_adjacent": float(near),
        "region_home": float(home),
        "region_outside": float(outside),
    }


def _wage_gap(offered: float, desired: float) -> float:
    if offered <= 0.0 or desired <= 0.0:
        return -1.0 if offered <= 0.0 else 1.0
    return max(-1.0, min(1.0, math.log(offered / desired)))


def wage_features(q: SeekerQuery, posting: Posting) -> dict[str, float]:
    """``wage_meets``, ``wage_gap``, ``wage_unknown``, ``wage_below`` (per month).

    Examples
    --------
    >>> from schemas.postings import Posting, Wage
    >>> from schemas.profiles import DesiredWage, Profile
    >>> q = seeker_query(Profile("S1", desired_wage=DesiredWage("monthly", 2_500_000)))
    >>> p = Posting("P1", "E1", "x", "x", 0, wage=Wage("hourly", 12_000))
    >>> {k: round(v, 3) for k, v in wage_features(q, p).items()}
    {'wage_meets': 1.0, 'wage_gap': 0.003, 'wage_unknown': 0.0, 'wage_below': 0.0}
    """
    offered = best_monthly_wage(posting)
    desired = q.desired_monthly
    if offered is None or desired is None:
        return {"wage_meets": 0.0, "wage_gap": 0.0, "wage_unknown": 1.0, "wage_below": 0.0}
    return {
        "wage_meets": float(offered >= desired),
        "wage_gap": _wage_gap(offered, desired),
        "wage_unknown": 0.0,
        "wage_below": float(offered < desired * (1 - WAGE_TOLERANCE)),
    }


def education_features(q: SeekerQuery, posting: Posting) -> dict[str, float]:
    """``edu_match``, ``edu_over``, ``edu_short`` (asks for more than the seeker states;
    a seeker who states no level is never short).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> q = seeker_query(Profile("S1", education_level="05"))
    >>> education_features(q, Posting("P1", "E1", "x", "x", 0, education_min="03"))
    {'edu_match': 1.0, 'edu_over': 1.0, 'edu_short': 0.0}
    """
    required = education_rank(posting.education_min) or 0
    level = q.education
    match = required == 0 or (level is not None and level >= required)
    over = required > 0 and level is not None and level - required >= 2
    short = level is not None and required > level
    return {"edu_match": float(match), "edu_over": float(over), "edu_short": float(short)}


def career_features(q: SeekerQuery, posting: Posting) -> dict[str, float]:
    """``career_fit``, ``career_short``.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> career_features(seeker_query(Profile("S1", career_years=1)),
    ...                 Posting("P1", "E1", "x", "x", 0, career_min_years=3))
    {'career_fit': 0.0, 'career_short': 0.4}
    """
    years = float(q.career_years)
    low = float(posting.career_min_years)
    cmax = posting.career_max_years
    high = float(cmax) if cmax is not None else math.inf
    return {
        "career_fit": float(low <= years <= high),
        "career_short": min(1.0, max(0.0, (low - years) / 5.0)),
    }


def employment_features(q: SeekerQuery, posting: Posting) -> dict[str, float]:
    """``emptype_match``: 1 overlap, 0 none, 0.5 when either side is silent.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> q = seeker_query(Profile("S1", employment_types=("regular",)))
    >>> employment_features(q, Posting("P1", "E1", "x", "x", 0, employment_types=("contract",)))
    {'emptype_match': 0.0}
    """
    mask = employment_mask(posting.employment_types)
    if q.employment == 0 or mask == 0:
        return {"emptype_match": 0.5}
    return {"emptype_match": float(bool(q.employment & mask))}


def time_features(posting: Posting, ctx: RankContext) -> dict[str, float]:
    """``freshness``, ``deadline_days`` at ``ctx.now_ms``.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> p = Posting("P1", "E1", "x", "x", posted_at=0, deadline=None)
    >>> time_features(p, RankContext(now_ms=0))
    {'freshness': 1.0, 'deadline_days': 1.0}
    """
    age = max(0.0, float(ctx.now_ms) - float(posting.posted_at))
    end = deadline_ms(posting.deadline)
    if math.isinf(end):
        left = 1.0
    else:
        left = min(1.0, max(0.0, (end - float(ctx.now_ms)) / (DEADLINE_HORIZON_DAYS * DAY_MS)))
    return {"freshness": math.exp(-age / (FRESHNESS_DAYS * DAY_MS)), "deadline_days": left}


def popularity_features(posting: Posting, ctx: RankContext) -> dict[str, float]:
    """``popularity`` from the context's per-posting statistics.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> popularity_features(Posting("P1", "E1", "x", "x", 0), RankContext(now_ms=0))
    {'popularity': 0.25}
    """
    return {"popularity": ctx.stats.popularity(posting.posting_id, now_ms=ctx.now_ms)}


def history_features(
    history: SeekerHistory,
    posting: Posting,
    implicit: ImplicitProfile = EMPTY_IMPLICIT,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
) -> dict[str, float]:
    """The ``hist_*`` features from the seeker's applies and their implicit profile.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> history_features(SeekerHistory(employer_counts=(("E1", 1),)),
    ...                  Posting("P1", "E1", "x", "x", 0))["hist_employer"]
    0.5
    >>> from online_model.implicit import implicit_profile
    >>> p = Posting("P1", "E1", "x", "지게차", 0, occupation_code="07C", region_code="41590")
    >>> ip = implicit_profile([("P1", "click", 0)], {"P1": p}.get, now_ms=0)
    >>> q = Posting("P2", "E2", "x", "지게차 운전", 0, region_code="41590")
    >>> f = history_features(SeekerHistory(), q, ip)
    >>> f["hist_tokens"], f["hist_place"], f["hist_occupation"], f["hist_dismiss"]
    (1.0, 1.0, 0.0, 0.0)
    """
    occ = posting.occupation_code
    applied_occ = min(1.0, history.occupation_count(occ) / 3.0)
    applied_emp = min(1.0, history.employer_count(posting.employer_id) / 2.0)
    tokens = _posting_tokens(posting, tokenizer) if not implicit.empty else frozenset()
    offered = best_monthly_wage(posting)
    level = implicit.wage
    return {
        "hist_occupation": max(applied_occ, implicit.occupations.get(occ, 0.0) if occ else 0.0),
        "hist_employer": max(applied_emp, implicit.employers.get(posting.employer_id, 0.0)),
        "hist_tokens": implicit.token_score(tokens),
        "hist_place": implicit.place_score(*_posting_region(posting)),
        "hist_wage": float(
            offered is not None and level is not None and offered >= HIST_WAGE_RATIO * level
        ),
        "hist_dismiss": implicit.dismiss_score(tokens),
        "item_neighbour": implicit.neighbour_score(posting.posting_id),
    }


def pair_features(
    profile: Profile,
    history: SeekerHistory,
    posting: Posting,
    ctx: RankContext,
    *,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    implicit: ImplicitProfile = EMPTY_IMPLICIT,
) -> dict[str, float]:
    """Every feature of a (seeker, posting) pair, keyed by the names in ``FEATURES``.

    Parameters
    ----------
    profile, history
        The seeker.
    posting
        The posting.
    ctx
        Time and per-posting statistics.
    tokenizer
        Must be the catalog's tokenizer for the vectorized form to agree.
    implicit
        The seeker's implicit profile (:func:`online_model.implicit.implicit_profile`);
        pass the one the vectorized form uses for the two to agree.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> x = pair_features(Profile("S1"), SeekerHistory(), Posting("P1", "E1", "x", "x", 0),
    ...                   RankContext(now_ms=0))
    >>> tuple(x) == FEATURES
    True
    """
    q = seeker_query(profile, tokenizer)
    out: dict[str, float] = {}
    out.update(occupation_features(q, posting))
    out.update(text_features(q, posting, tokenizer))
    out.update(region_features(q, posting))
    out.update(wage_features(q, posting))
    out.update(education_features(q, posting))
    out.update(career_features(q, posting))
    out.update(employment_features(q, posting))
    out.update(time_features(posting, ctx))
    out.update(popularity_features(posting, ctx))
    out.update(history_features(history, posting, implicit, tokenizer))
    return {name: out[name] for name in FEATURES}


# -- the vectorized form ---------------------------------------------------------------


def _token_hits(catalog: PostingCatalog, tokens: frozenset[str]) -> npt.NDArray[np.int32]:
    # Each posting list holds a slot at most once, so fancy-index += counts correctly.
    counts = np.zeros(catalog.size, dtype=np.int32)
    for token in tokens:
        code = catalog.tokens.get(token)
        if code >= 0:
            counts[catalog.by_token[code].view()] += 1
    return counts


def certificate_hits(catalog: PostingCatalog, q: SeekerQuery) -> npt.NDArray[np.bool_]:
    """Per slot: the seeker holds one of the posting's certificates."""
    hits = np.zeros(catalog.size, dtype=np.bool_)
    for cert in q.certificates:
        code = catalog.certificates.get(cert)
        if code >= 0:
            hits[catalog.by_certificate[code].view()] = True
    return hits


def _codes_in(column: npt.NDArray[np.int32], vocab_codes: list[int]) -> npt.NDArray[np.bool_]:
    out = np.zeros(len(column), dtype=np.bool_)
    for code in vocab_codes:
        if code >= 0:
            out |= column == code
    return out


def accepted_mask(catalog: PostingCatalog, acc: AcceptedRegions) -> npt.NDArray[np.bool_]:
    """Per slot: the posting is inside the accepted regions (vectorized ``acc.accepts``).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "x", 0, region_code="41590"))
    >>> cat.upsert(Posting("P2", "E1", "x", "x", 0, region_code="26350"))
    >>> cat.upsert(Posting("P3", "E1", "x", "x", 0))
    >>> accepted_mask(cat, accepted_regions(Profile("S1", home_region_code="11680"))).tolist()
    [True, False, True]
    """
    if acc.everywhere:
        return np.ones(catalog.size, dtype=np.bool_)
    mask = np.zeros(catalog.size, dtype=np.bool_)
    mask[catalog.no_region.view()] = True
    for code in acc.sigungu:
        entry = catalog.by_sigungu.get(int(code))
        if entry is not None:
            mask[entry.view()] = True
    for sido in acc.sido:
        entry = catalog.by_sido.get(sido_index()[sido])
        if entry is not None:
            mask[entry.view()] = True
    for sido in acc.sido_partial - acc.sido:
        entry = catalog.by_sido.get(sido_index()[sido])
        if entry is not None:
            slots = entry.view()
            # Postings located only to this 시도 could be in an accepted 시군구.
            mask[slots[catalog.sigungu[slots] == -1]] = True
    return mask


def _sido_table(codes: frozenset[str]) -> npt.NDArray[np.bool_]:
    # One extra False entry so that index -1 (unknown 시도) looks up False.
    table = np.zeros(len(sido_index()) + 1, dtype=np.bool_)
    for code in codes:
        table[sido_index()[code]] = True
    return table


def feature_matrix(
    profile: Profile,
    history: SeekerHistory,
    catalog: PostingCatalog,
    slots: npt.NDArray[np.int32],
    ctx: RankContext,
    *,
    implicit: ImplicitProfile | None = None,
) -> FloatArray:
    """The features of ``profile`` against many catalog slots, one row per slot.

    Column ``j`` is ``FEATURES[j]``; row ``i`` equals ``pair_features`` of the posting in
    ``slots[i]`` (to rounding) given the same ``implicit`` profile; None derives it from
    the catalog (:func:`online_model.implicit.catalog_implicit`). The catalog's statistics
    must be synced to ``ctx.stats`` (:meth:`PostingCatalog.sync_stats`).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "지게차", 0, occupation_code="07C"))
    >>> m = feature_matrix(Profile("S1", desired_occupation_codes=("07C",)), SeekerHistory(),
    ...                    cat, cat.alive_slots(), RankContext(now_ms=0))
    >>> m.shape == (1, len(FEATURES)), float(m[0, FEATURE_INDEX["occ_middle"]])
    (True, 1.0)
    """
    q = seeker_query(profile, catalog.tokenizer)
    n = len(slots)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    col = FEATURE_INDEX

    occ = catalog.occupation[slots]
    middle = _codes_in(occ, [catalog.occupations.get(c) for c in q.occupations])
    group = _codes_in(catalog.group[slots], [catalog.groups.get(g) for g in q.groups]) & ~middle
    x[:, col["occ_middle"]] = middle
    x[:, col["occ_group"]] = group

    if q.title_tokens:
        x[:, col["title_sim"]] = _token_hits(catalog, q.title_tokens)[slots] / len(q.title_tokens)
    if q.skill_tokens:
        x[:, col["skill_sim"]] = _token_hits(catalog, q.skill_tokens)[slots] / len(q.skill_tokens)
    held = certificate_hits(catalog, q)[slots] if q.certificates else np.zeros(n, np.bool_)
    x[:, col["cert_match"]] = held
    x[:, col["cert_missing"]] = (catalog.n_certificates[slots] > 0) & ~held

    sigungu = catalog.sigungu[slots]
    sido = catalog.sido[slots]
    pl = q.places
    in_sigungu = _codes_in(sigungu, [int(c) for c in pl.sigungu])
    in_sido = _sido_table(pl.sido)[sido] & ~in_sigungu
    near = _sido_table(pl.near)[sido] & ~in_sigungu & ~in_sido
    x[:, col["region_sigungu"]] = in_sigungu
    x[:, col["region_sido"]] = in_sido
    x[:, col["region_adjacent"]] = near
    if pl.home is not None:
        x[:, col["region_home"]] = sigungu == int(pl.home)
    if not q.accepted.everywhere:
        x[:, col["region_outside"]] = ~accepted_mask(catalog, q.accepted)[slots]

    offered = catalog.wage[slots]
    desired = q.desired_monthly
    if desired is None:
        x[:, col["wage_unknown"]] = 1.0
    else:
        known = ~np.isnan(offered)
        x[:, col["wage_unknown"]] = ~known
        x[:, col["wage_meets"]] = known & (offered >= desired)
        safe = np.where(known & (offered > 0), offered, 1.0)
        gap = np.clip(np.log(safe / desired), -1.0, 1.0) if desired > 0 else np.ones(n)
        gap = np.where(known & (offered <= 0), -1.0, gap)
        x[:, col["wage_gap"]] = np.where(known, gap, 0.0)
        # NaN (협의) compares False: an unknown wage is never below.
        x[:, col["wage_below"]] = offered < desired * (1 - WAGE_TOLERANCE)

    required = catalog.education[slots]
    level = q.education
    if level is None:
        x[:, col["edu_match"]] = required == 0
    else:
        x[:, col["edu_match"]] = (required == 0) | (level >= required)
        x[:, col["edu_over"]] = (required > 0) & (level - required.astype(np.int16) >= 2)
        x[:, col["edu_short"]] = required > level

    years = float(q.career_years)
    low = catalog.career_min[slots]
    x[:, col["career_fit"]] = (low <= years) & (years <= catalog.career_max[slots])
    x[:, col["career_short"]] = np.clip((low - years) / 5.0, 0.0, 1.0)

    mask = catalog.employment[slots]
    if q.employment == 0:
        x[:, col["emptype_match"]] = 0.5
    else:
        overlap = (mask & q.employment) != 0
        x[:, col["emptype_match"]] = np.where(mask == 0, 0.5, overlap.astype(np.float64))

    _posting_columns(x, catalog, slots, ctx)

    if history.occupations:
        table = np.zeros(len(catalog.occupations.codes) + 1)
        for code, count in history.occupations.items():
            c = catalog.occupations.get(code)
            if c >= 0:
                table[c] = count
        x[:, col["hist_occupation"]] = np.minimum(1.0, table[occ] / 3.0)
    employer = catalog.employer[slots]
    if history.employers:
        table = np.zeros(len(catalog.employers.codes) + 1)
        for employer_id, count in history.employers.items():
            c = catalog.employers.get(employer_id)
            if c >= 0:
                table[c] = count
        x[:, col["hist_employer"]] = np.minimum(1.0, table[employer] / 2.0)
    if implicit is None:
        ip = catalog_implicit(history.engagements, catalog, now_ms=ctx.now_ms)
    else:
        ip = implicit
    if not ip.empty:
        _implicit_columns(x, ip, catalog, slots, occ, employer, sigungu, sido, offered)
    return x


# Columns that depend on the posting (and the context) alone.
POSTING_ONLY: tuple[str, ...] = ("freshness", "deadline_days", "popularity")


def _posting_columns(
    x: FloatArray, catalog: PostingCatalog, slots: npt.NDArray[np.int32], ctx: RankContext
) -> None:
    # The one computation of POSTING_ONLY: a posting's row and its fan-out to many seekers
    # take these numbers from here, so both score it with the same floats.
    col = FEATURE_INDEX
    now = float(ctx.now_ms)
    age = np.maximum(0.0, now - catalog.posted_at[slots])
    x[:, col["freshness"]] = np.exp(-age / (FRESHNESS_DAYS * DAY_MS))
    end = catalog.deadline[slots]
    left = np.clip((end - now) / (DEADLINE_HORIZON_DAYS * DAY_MS), 0.0, 1.0)
    x[:, col["deadline_days"]] = np.where(np.isinf(end), 1.0, left)
    stats_age = np.maximum(now - catalog.stats_updated[slots], 0.0)
    factor = np.exp2(-stats_age / ctx.stats.half_life_ms)
    x[:, col["popularity"]] = _popularity(
        catalog.impressions[slots] * factor, catalog.applies[slots] * factor
    )


def _implicit_columns(
    x: FloatArray,
    ip: ImplicitProfile,
    catalog: PostingCatalog,
    slots: npt.NDArray[np.int32],
    occ: npt.NDArray[np.int32],
    employer: npt.NDArray[np.int32],
    sigungu: npt.NDArray[np.int32],
    sido: npt.NDArray[np.int8],
    offered: FloatArray,
) -> None:
    # The vectorized twin of history_features' implicit part.
    col = FEATURE_INDEX
    occ_share = code_shares(occ, {catalog.occupations.get(c): s for c, s in ip.occupations.items()})
    emp_share = code_shares(
        employer, {catalog.employers.get(e): s for e, s in ip.employers.items()}
    )
    x[:, col["hist_occupation"]] = np.maximum(x[:, col["hist_occupation"]], occ_share)
    x[:, col["hist_employer"]] = np.maximum(x[:, col["hist_employer"]], emp_share)
    x[:, col["hist_tokens"]] = token_scores(catalog, ip.tokens, ip.token_mass)[slots]
    gu = code_shares(sigungu, {int(g): s for g, s in ip.sigungu.items()})
    do_table = np.zeros(len(sido_index()) + 1)
    for code, share in ip.sido.items():
        do_table[sido_index()[code]] = 0.5 * share
    x[:, col["hist_place"]] = np.maximum(gu, do_table[sido])
    if ip.wage is not None:
        x[:, col["hist_wage"]] = ~np.isnan(offered) & (offered >= HIST_WAGE_RATIO * ip.wage)
    x[:, col["hist_dismiss"]] = token_scores(catalog, ip.dismissed_tokens, ip.dismissed_mass)[slots]
    if ip.neighbours:
        x[:, col["item_neighbour"]] = neighbour_column(catalog, ip.neighbours)[slots]


def _popularity(impressions: FloatArray, applies: FloatArray) -> FloatArray:
    # The vectorized twin of context.popularity_from.
    rate = (applies + PRIOR_APPLIES) / (impressions + PRIOR_IMPRESSIONS)
    out: FloatArray = np.minimum(1.0, 5.0 * rate)
    return out


# -- the other direction: one posting against many seekers ------------------------------

IntArray = npt.NDArray[np.int32]
# Keys of the seeker columns' inverted index: (kind, value). Kinds: "o" desired occupation,
# "g" its group, "t" desired-title token, "k" skill token, "c" certificate, "ps"/"pd"/"pn"
# the places (시군구, 시도, neighbouring 시도) of the region features, "as"/"ad"/"ap" the
# accepted 시군구, 시도 and partial 시도 of ``region_outside``.
ColumnKey = tuple[str, object]


class _Rows:
    """A growable int32 array of rows (one inverted-index entry)."""

    __slots__ = ("arr", "n")

    def __init__(self) -> None:
        self.arr: IntArray = np.empty(4, dtype=np.int32)
        self.n = 0

    def add(self, row: int) -> None:
        if self.n == len(self.arr):
            grown = np.empty(len(self.arr) * 2, dtype=np.int32)
            grown[: self.n] = self.arr
            self.arr = grown
        self.arr[self.n] = row
        self.n += 1

    def view(self) -> IntArray:
        return self.arr[: self.n]


# A few rows are looked up by their query's keys rather than by a mask over every row.
FEW_ROWS = 8


@lru_cache(maxsize=65536)
def _query_keys(q: SeekerQuery) -> frozenset[ColumnKey]:
    sidx = sido_index()
    keys: set[ColumnKey] = {("o", c) for c in q.occupations}
    keys.update(("g", g) for g in q.groups)
    keys.update(("t", t) for t in q.title_tokens)
    keys.update(("k", t) for t in q.skill_tokens)
    keys.update(("c", c) for c in q.certificates)
    pl = q.places
    keys.update(("ps", int(c)) for c in pl.sigungu)
    keys.update(("pd", sidx[c]) for c in pl.sido)
    keys.update(("pn", sidx[c]) for c in pl.near)
    acc = q.accepted
    if not acc.everywhere:
        keys.update(("as", int(c)) for c in acc.sigungu)
        keys.update(("ad", sidx[c]) for c in acc.sido)
        keys.update(("ap", sidx[c]) for c in acc.sido_partial)
    return frozenset(keys)


# (name, dtype, fill value of a fresh row)
_SEEKER_COLUMNS: tuple[tuple[str, Any, Any], ...] = (
    ("n_title", np.float64, 0.0),
    ("n_skill", np.float64, 0.0),
    ("desired", np.float64, np.nan),
    ("education", np.int16, -1),
    ("career", np.float64, 0.0),
    ("employment", np.uint8, 0),
    ("home", np.int32, -1),
    ("everywhere", np.bool_, True),
    ("alive", np.bool_, False),
)


class SeekerColumns:
    """The profile side of the features of many seekers, as columns and inverted lists.

    One row per :class:`SeekerQuery` added; a row is never reused (:meth:`kill` marks it
    dead), so a caller holding rows can tell a seeker that changed since (dead row) from
    one that did not. :func:`seeker_rows` reads these columns to give one posting's
    features against many seekers, equal bit for bit to :func:`feature_matrix` rows.

    Examples
    --------
    >>> from schemas.profiles import Profile
    >>> cols = SeekerColumns()
    >>> cols.add(seeker_query(Profile("S1", desired_titles=("지게차",))))
    0
    >>> cols.rows_with(("t", "지게")).tolist(), float(cols.n_title[0])
    ([0], 2.0)
    """

    n_title: FloatArray
    n_skill: FloatArray
    desired: FloatArray
    education: npt.NDArray[np.int16]
    career: FloatArray
    employment: npt.NDArray[np.uint8]
    home: IntArray
    everywhere: npt.NDArray[np.bool_]
    alive: npt.NDArray[np.bool_]

    def __init__(self, capacity: int = 1024) -> None:
        self._capacity = max(16, capacity)
        for name, dtype, fill in _SEEKER_COLUMNS:
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))
        self.size = 0
        self.n_alive = 0
        self._index: dict[ColumnKey, _Rows] = {}
        self._queries: list[SeekerQuery] = []  # per row: the query it was built from

    def add(self, q: SeekerQuery, extra_keys: Iterable[ColumnKey] = ()) -> int:
        """A new row for ``q`` (also listed under ``extra_keys``, the caller's); returns it."""
        if self.size == self._capacity:
            self._grow()
        row = self.size
        self.size += 1
        self.n_alive += 1
        self.n_title[row] = len(q.title_tokens)
        self.n_skill[row] = len(q.skill_tokens)
        self.desired[row] = q.desired_monthly if q.desired_monthly is not None else np.nan
        self.education[row] = q.education if q.education is not None else -1
        self.career[row] = float(q.career_years)
        self.employment[row] = q.employment
        home = q.places.home
        self.home[row] = int(home) if home is not None else -1
        self.everywhere[row] = q.accepted.everywhere
        self.alive[row] = True
        self._queries.append(q)
        for key in (*_query_keys(q), *extra_keys):
            entry = self._index.get(key)
            if entry is None:
                entry = self._index[key] = _Rows()
            entry.add(row)
        return row

    def kill(self, row: int) -> None:
        """The row's seeker left or changed: its row answers no more lookups."""
        if self.alive[row]:
            self.alive[row] = False
            self.n_alive -= 1

    def _grow(self) -> None:
        new_cap = self._capacity * 2
        for name, dtype, fill in _SEEKER_COLUMNS:
            grown = np.full(new_cap, fill, dtype=dtype)
            grown[: self._capacity] = getattr(self, name)
            setattr(self, name, grown)
        self._capacity = new_cap

    def rows_with(self, key: ColumnKey) -> IntArray:
        """Rows (dead ones included) whose query holds ``key``."""
        entry = self._index.get(key)
        return entry.view() if entry is not None else np.empty(0, dtype=np.int32)

    def mask_all(self, keys: Iterable[ColumnKey]) -> npt.NDArray[np.bool_]:
        """Per row (all of them, dead ones included): listed under one of ``keys``."""
        out = np.zeros(self.size, dtype=np.bool_)
        for key in keys:
            out[self.rows_with(key)] = True
        return out

    def mask(self, keys: Iterable[ColumnKey], rows: IntArray) -> npt.NDArray[np.bool_]:
        """Per row of ``rows``: its query holds at least one of ``keys``."""
        if len(rows) <= FEW_ROWS:
            wanted = set(keys)
            return np.array(
                [bool(wanted & _query_keys(self._queries[r])) for r in rows.tolist()], np.bool_
            )
        return self.mask_all(keys)[rows]

    def counts(self, keys: Iterable[ColumnKey], rows: IntArray) -> IntArray:
        """Per row of ``rows``: how many of ``keys`` (distinct) its query holds."""
        if len(rows) <= FEW_ROWS:
            wanted = set(keys)
            return np.array(
                [len(wanted & _query_keys(self._queries[r])) for r in rows.tolist()], np.int32
            )
        out = np.zeros(self.size, dtype=np.int32)
        for key in keys:
            # A row is listed once per key, so fancy-index += counts correctly.
            out[self.rows_with(key)] += 1
        return out[rows]


def seeker_rows(
    posting: Posting,
    slot: int,
    catalog: PostingCatalog,
    cols: SeekerColumns,
    rows: IntArray,
    ctx: RankContext,
) -> FloatArray:
    """The features of one catalog posting against many seekers, one row per seeker.

    The vectorized twin of :func:`feature_matrix` in the other direction: row ``i`` equals,
    float for float, ``feature_matrix`` of the seeker in ``rows[i]`` at ``slot``, with an
    empty history and implicit profile; :func:`history_columns` adds those per seeker.
    Same expressions on the same values, so the scores agree exactly (tested).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "지게차", 0, occupation_code="07C"))
    >>> cols = SeekerColumns()
    >>> rows = np.array([cols.add(seeker_query(Profile(s, desired_occupation_codes=(o,))))
    ...                  for s, o in (("S1", "07C"), ("S2", "041"))], dtype=np.int32)
    >>> x = seeker_rows(cat.get("P1"), 0, cat, cols, rows, RankContext(now_ms=0))
    >>> x[:, FEATURE_INDEX["occ_middle"]].tolist()
    [1.0, 0.0]
    """
    n = len(rows)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    col = FEATURE_INDEX
    one = np.array([slot], dtype=np.int32)
    tokenizer = catalog.tokenizer

    occ = posting.occupation_code
    middle = cols.mask([("o", occ)] if occ else [], rows)
    group = occupation_group(occ)
    x[:, col["occ_middle"]] = middle
    x[:, col["occ_group"]] = cols.mask([("g", group)] if group else [], rows) & ~middle

    tokens = posting_text_tokens(posting, tokenizer)
    for name, kind, size in (("title_sim", "t", cols.n_title), ("skill_sim", "k", cols.n_skill)):
        hits = cols.counts([(kind, t) for t in tokens], rows)
        n_tokens = size[rows]
        x[:, col[name]] = np.divide(hits, n_tokens, out=np.zeros(n), where=n_tokens > 0)
    certs = {normalize_certificate(c) for c in posting.certificates} - {""}
    held = cols.mask([("c", c) for c in certs], rows)
    x[:, col["cert_match"]] = held
    x[:, col["cert_missing"]] = (catalog.n_certificates[slot] > 0) & ~held

    sigungu = int(catalog.sigungu[slot])
    sido = int(catalog.sido[slot])
    in_sigungu = cols.mask([("ps", sigungu)] if sigungu >= 0 else [], rows)
    in_sido = cols.mask([("pd", sido)] if sido >= 0 else [], rows) & ~in_sigungu
    near = cols.mask([("pn", sido)] if sido >= 0 else [], rows) & ~in_sigungu & ~in_sido
    x[:, col["region_sigungu"]] = in_sigungu
    x[:, col["region_sido"]] = in_sido
    x[:, col["region_adjacent"]] = near
    if sigungu >= 0:
        x[:, col["region_home"]] = cols.home[rows] == sigungu
    x[:, col["region_outside"]] = ~_accepted_rows(cols, rows, sigungu, sido)

    _wage_rows(x, float(catalog.wage[slot]), cols.desired[rows])

    required = int(catalog.education[slot])
    level = cols.education[rows]
    stated = level >= 0
    x[:, col["edu_match"]] = (required == 0) | (stated & (level >= required))
    x[:, col["edu_over"]] = stated & (required > 0) & (level - required >= 2)
    x[:, col["edu_short"]] = stated & (required > level)

    years = cols.career[rows]
    low = catalog.career_min[slot]
    x[:, col["career_fit"]] = (low <= years) & (years <= catalog.career_max[slot])
    x[:, col["career_short"]] = np.clip((low - years) / 5.0, 0.0, 1.0)

    mask = int(catalog.employment[slot])
    wanted = cols.employment[rows]
    overlap = ((wanted & mask) != 0).astype(np.float64)
    x[:, col["emptype_match"]] = np.where((wanted == 0) | (mask == 0), 0.5, overlap)

    own = np.zeros((1, len(FEATURES)), dtype=np.float64)
    _posting_columns(own, catalog, one, ctx)
    for name in POSTING_ONLY:
        x[:, col[name]] = own[0, col[name]]
    return x


def _accepted_rows(
    cols: SeekerColumns, rows: IntArray, sigungu: int, sido: int
) -> npt.NDArray[np.bool_]:
    # The twin of accepted_mask at one slot, per seeker: everywhere, an unknown place, the
    # 시군구 or 시도 accepted, or a 시도-only place in a partially accepted 시도.
    if sido < 0:
        return np.ones(len(rows), dtype=np.bool_)
    keys: list[ColumnKey] = [("ad", sido)]
    if sigungu >= 0:
        keys.append(("as", sigungu))
    else:
        keys.append(("ap", sido))
    out: npt.NDArray[np.bool_] = cols.everywhere[rows] | cols.mask(keys, rows)
    return out


def _wage_rows(x: FloatArray, offered: float, desired: FloatArray) -> None:
    # The twin of feature_matrix's wage block with the roles swapped: one offered wage
    # (NaN: 협의), one desired minimum per seeker (NaN: none stated).
    col = FEATURE_INDEX
    n = len(desired)
    stated = ~np.isnan(desired)
    if math.isnan(offered):
        x[:, col["wage_unknown"]] = 1.0
        return
    x[:, col["wage_unknown"]] = ~stated
    x[:, col["wage_meets"]] = stated & (offered >= desired)
    safe_desired = np.where(stated & (desired > 0), desired, 1.0)
    if offered > 0:
        gap = np.clip(np.log(offered / safe_desired), -1.0, 1.0)
        gap = np.where(desired > 0, gap, 1.0)
    else:
        gap = np.full(n, -1.0)
    x[:, col["wage_gap"]] = np.where(stated, gap, 0.0)
    x[:, col["wage_below"]] = stated & (offered < desired * (1 - WAGE_TOLERANCE))


def history_columns(
    x: FloatArray,
    history: SeekerHistory,
    implicit: ImplicitProfile,
    posting: Posting,
    tokens: frozenset[str],
) -> None:
    """Fill the ``hist_*`` features of one seeker's row ``x`` (of :func:`seeker_rows`).

    The twin, for one posting, of the history part of :func:`feature_matrix`: the same
    operations in the same order (the token shares are summed in the implicit profile's
    order, as :func:`online_model.implicit.token_scores` adds them), so the floats agree.
    ``tokens`` are the posting's (:func:`online_model.catalog.posting_text_tokens`).
    """
    col = FEATURE_INDEX
    occ = posting.occupation_code
    employer = posting.employer_id
    if history.occupations:
        x[col["hist_occupation"]] = min(1.0, float(history.occupation_count(occ)) / 3.0)
    if history.employers:
        x[col["hist_employer"]] = min(1.0, float(history.employers.get(employer, 0)) / 2.0)
    ip = implicit
    if ip.empty:
        return
    occ_share = ip.occupations.get(occ, 0.0) if occ else 0.0
    x[col["hist_occupation"]] = max(x[col["hist_occupation"]], occ_share)
    x[col["hist_employer"]] = max(x[col["hist_employer"]], ip.employers.get(employer, 0.0))
    x[col["hist_tokens"]] = _token_share(ip.tokens, ip.token_mass, tokens)
    sigungu, sido = posting_region(posting)
    gu = ip.sigungu.get(sigungu, 0.0) if sigungu else 0.0
    do = 0.5 * ip.sido[sido] if sido and sido in ip.sido else 0.0
    x[col["hist_place"]] = max(gu, do)
    if ip.wage is not None:
        offered = best_monthly_wage(posting)
        x[col["hist_wage"]] = float(offered is not None and offered >= HIST_WAGE_RATIO * ip.wage)
    x[col["hist_dismiss"]] = _token_share(ip.dismissed_tokens, ip.dismissed_mass, tokens)
    x[col["item_neighbour"]] = ip.neighbour_score(posting.posting_id)


def _token_share(weights: Mapping[str, float], mass: float, tokens: frozenset[str]) -> float:
    # token_scores at one slot: added in the weights' order, from 0.0, then / mass.
    if mass <= 0.0:
        return 0.0
    acc = 0.0
    for token, w in weights.items():
        if token in tokens:
            acc += w
    return min(1.0, acc / mass)
