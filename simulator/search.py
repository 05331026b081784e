"""Organic search: the plain job-board search a seeker runs without recommendations.

Open postings in the seeker's desired regions (a 시도, or a 시군구 and its city) whose
occupation code is one the seeker wants or whose title has one of their desired titles as
a word, newest first. A seeker who gave neither occupations nor titles sees everything in
their regions; so does one whose query finds nothing (they broaden the search). Regions
match on the place a posting names, as the site's text search does, even when the posting
carries no region code.
"""

from __future__ import annotations

from bisect import insort

from schemas.profiles import Profile
from simulator.entities import PostingState

ALL = "*"


def title_words(title: str) -> set[str]:
    """The words of a title, as the board indexes them (brackets and slashes split words)."""
    for sep in "[]()/":
        title = title.replace(sep, " ")
    return set(title.split())


class JobBoard:
    """Inverted lists of open postings per 시도 and per city: all, by occupation code, by
    title word.

    Every list is in posting-time order, so a search reads each list from its end.
    """

    def __init__(self, postings: list[PostingState]) -> None:
        self._postings = postings  # the market's table, indexed by posting index
        self._lists: dict[tuple[str, str], list[int]] = {}
        self._open = 0
        self._closed = 0  # closed postings still in the lists

    def add(self, state: PostingState) -> None:
        postings = self._postings
        p = state.posting
        terms = [ALL]
        if p.occupation_code is not None:
            terms.append("o:" + p.occupation_code)
        terms.extend("w:" + w for w in sorted(title_words(p.title)))
        # 시도 codes have 2 digits, city keys 4: one dictionary holds both.
        keys = [(area, term) for area in (state.place.sido, state.place.city) for term in terms]
        for key in keys:
            insort(
                self._lists.setdefault(key, []),
                state.index,
                key=lambda i: (postings[i].posting.posted_at, i),
            )
        self._open += 1

    def remove(self, state: PostingState) -> None:
        """Note a closed posting; the lists are compacted once many entries are closed."""
        self._open -= 1
        self._closed += 1
        if self._closed * 4 > self._open:
            postings = self._postings
            for key, entries in self._lists.items():
                self._lists[key] = [i for i in entries if postings[i].open]
            self._closed = 0

    def search(self, profile: Profile, *, limit: int) -> list[int]:
        """Posting indexes the seeker's query returns, newest first, at most ``limit``."""
        sidos: set[str] = set()
        cities: set[str] = set()
        for code in profile.desired_region_codes:
            if len(code) == 2:
                sidos.add(code)
            else:
                cities.add(code[:4])
        if not sidos and not cities:
            if profile.home_region_code is not None:
                sidos.add(profile.home_region_code[:2])
            else:
                sidos.update(area for area, _ in self._lists if len(area) == 2)
        terms = ["o:" + c for c in profile.desired_occupation_codes]
        terms += ["w:" + t for t in profile.desired_titles]
        found = self._scan(sidos, cities, terms or [ALL], limit)
        if not found and terms:
            found = self._scan(sidos, cities, [ALL], limit)
        return found

    def _scan(self, sidos: set[str], cities: set[str], terms: list[str], limit: int) -> list[int]:
        postings = self._postings
        # A city inside a wanted 시도 adds nothing; read each remaining area's lists.
        areas = sorted(sidos) + sorted(c for c in cities if c[:2] not in sidos)
        hits: dict[int, int] = {}  # posting index -> posted_at
        for area in areas:
            for term in terms:
                entries = self._lists.get((area, term))
                if not entries:
                    continue
                taken = 0
                for k in range(len(entries) - 1, -1, -1):
                    state = postings[entries[k]]
                    if not state.open:
                        continue
                    hits[state.index] = state.posting.posted_at
                    taken += 1
                    if taken >= limit:
                        break
        ranked = sorted(hits.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        return [i for i, _ in ranked[:limit]]
