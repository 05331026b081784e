"""The portal's key names are the public contract's (DESIGN.md, "Redis (read side)")."""

from __future__ import annotations

from portal.redis_reader import posting_candidates_key, posting_display_key, seeker_list_key


def test_keys_are_the_contracts() -> None:
    # Literal strings on purpose: the reader's tests write through the same helpers, so
    # only a literal catches a helper that drifted from the contract.
    assert seeker_list_key("jobmatch", "S42") == "jobmatch:reco:seeker:{S42}"
    assert posting_candidates_key("jobmatch", "P100") == "jobmatch:reco:posting:{P100}"
    assert posting_display_key("jobmatch", "P100") == "jobmatch:posting:{P100}"
    assert seeker_list_key("jobmatch:test-1", "S.1_a-b") == "jobmatch:test-1:reco:seeker:{S.1_a-b}"
