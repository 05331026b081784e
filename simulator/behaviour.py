"""How seekers act on a list: position bias, then clicks, saves, applies, dismissals, hires.

The hidden utility decides what a seeker *would* do; here noise is added on top, so the
same seeker may pass over a good posting one day and click a mediocre one the next.
Pure: randomness comes from the ``random.Random`` passed in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from schemas.postings import Posting
from schemas.profiles import Profile

# Examination probability falls as a power of the rank: the top item is examined always,
# item 10 about one time in 9, item 30 one time in 22 (a cascade-like position bias).
EXAMINE_DECAY = 0.9

# Logistic click, apply and dismiss curves over (utility - threshold) + noise.
CLICK_SLOPE, CLICK_BIAS = 1.5, -1.0
APPLY_SLOPE, APPLY_BIAS = 2.0, -1.0
DISMISS_SLOPE, DISMISS_BIAS = -1.0, -5.5
SAVE_PROBABILITY = 0.25  # of clicked postings not applied to
REVISIT_CLICK_FACTOR = 0.3  # a posting clicked before is rarely clicked again

HIRE_QUALIFIED = 0.14
HIRE_UNQUALIFIED = 0.02


def examine_probability(position: int) -> float:
    """Chance that a seeker looks at the item shown at 0-based ``position``."""
    return float((1 + position) ** -EXAMINE_DECAY)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True, slots=True)
class Reaction:
    """What a seeker did with one examined posting."""

    click: bool = False
    save: bool = False
    apply: bool = False
    dismiss: bool = False


NOTHING = Reaction()


def react(
    rng: random.Random,
    utility: float,
    threshold: float,
    noise: float,
    *,
    clicked_before: bool = False,
    applied_before: bool = False,
    dismissed_before: bool = False,
) -> Reaction:
    """A seeker's reaction to a posting they examined: utility plus their noise."""
    if applied_before or dismissed_before:
        return NOTHING
    margin = utility - threshold
    p_click = _sigmoid(CLICK_SLOPE * margin + CLICK_BIAS + rng.gauss(0.0, noise))
    if clicked_before:
        p_click *= REVISIT_CLICK_FACTOR
    if rng.random() < p_click:
        p_apply = _sigmoid(APPLY_SLOPE * margin + APPLY_BIAS + rng.gauss(0.0, noise))
        if rng.random() < p_apply:
            return Reaction(click=True, apply=True)
        return Reaction(click=True, save=rng.random() < SAVE_PROBABILITY)
    p_dismiss = _sigmoid(DISMISS_SLOPE * margin + DISMISS_BIAS)
    if rng.random() < p_dismiss:
        return Reaction(dismiss=True)
    return NOTHING


def qualified(profile: Profile, posting: Posting) -> bool:
    """Whether the employer would consider the applicant: education, career, certificates."""
    education = int(profile.education_level or "03")
    if int(posting.education_min) > education:
        return False
    if posting.career_min_years > profile.career_years + 1:
        return False
    return not posting.certificates or bool(set(posting.certificates) & set(profile.certificates))


def hire_probability(profile: Profile, posting: Posting) -> float:
    """Chance that an application ends in a hire: qualification first, then shared skills."""
    if not qualified(profile, posting):
        return HIRE_UNQUALIFIED
    shared = len(set(posting.skills) & set(profile.skills))
    return HIRE_QUALIFIED * (0.6 + 0.4 * min(shared, 2) / 2)
