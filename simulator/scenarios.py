"""What seekers tell the service: the stated profile of a scenario.

The hidden preference (:mod:`simulator.preference`) always comes from the seeker's full
profile and real occupations; a scenario only decides how much of that profile the
seeker *publishes*. In the ``behaviour-only`` scenario nobody states anything, so what a
seeker does (searches, clicks, applies) is the only signal a recommender gets; the job
board's search still runs on what the seeker has in mind, as a search box would.

Examples
--------
>>> from schemas.profiles import Profile
>>> full = Profile("S1", desired_occupation_codes=("07C",), home_region_code="41590")
>>> stated_profile(full, empty=True) == Profile("S1")
True
>>> stated_profile(full, empty=False) is full
True
>>> SCENARIOS["behaviour-only"], SCENARIOS["stated"]
(1.0, 0.0)
"""

from __future__ import annotations

import random

from schemas.profiles import Profile

# Scenario name -> share of seekers whose stated profile is empty.
SCENARIOS: dict[str, float] = {"stated": 0.0, "mixed": 0.5, "behaviour-only": 1.0}
DEFAULT_SCENARIO = "stated"


def stated_profile(profile: Profile, *, empty: bool) -> Profile:
    """The profile a seeker publishes: all of it, or only the id."""
    return Profile(profile.seeker_id) if empty else profile


def states_nothing(seed: int, index: int, share: float) -> bool:
    """Whether seeker ``index`` of a market publishes an empty profile.

    Drawn from its own seeded stream per seeker, so the choice neither moves the market's
    other random draws (the same seed gives the same market in every scenario) nor
    changes when the seeker edits their profile.

    >>> states_nothing(1, 7, 0.0), states_nothing(1, 7, 1.0)
    (False, True)
    >>> sum(states_nothing(1, i, 0.5) for i in range(1000)) in range(430, 570)
    True
    """
    if share <= 0.0:
        return False
    if share >= 1.0:
        return True
    return random.Random(f"{seed}:silent:{index}").random() < share
