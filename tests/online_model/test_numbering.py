"""The compact containers of the reverse indexes behave as a dict of names and a set."""

from __future__ import annotations

import random

from online_model.numbering import NumberBag, Numbering


def test_numbers_are_stable_and_released_numbers_are_reused() -> None:
    numbering = Numbering()
    a, b = numbering.number("S1"), numbering.number("S2")
    assert (a, b) == (0, 1)
    assert numbering.number("S1") == a
    assert numbering.find("S3") is None
    numbering.release("S1")
    assert numbering.find("S1") is None
    assert numbering.number("S3") == a  # the freed number, not a new one
    assert numbering.name(a) == "S3"
    assert numbering.names([b, a]) == ["S2", "S3"]
    assert len(numbering) == 2


def test_a_bag_holds_what_a_set_holds_through_adds_and_removals() -> None:
    rng = random.Random(3)
    # Sizes both sides of the switch from array.index to the numpy search.
    for size in (5, 40, 400):
        bag, reference = NumberBag(), set()
        for _ in range(size * 4):
            number = rng.randrange(size)
            if number in reference and rng.random() < 0.5:
                assert bag.discard(number)
                reference.discard(number)
            elif number not in reference:
                bag.add(number)
                reference.add(number)
            else:
                assert number in bag
            assert len(bag) == len(reference)
        assert sorted(bag) == sorted(reference)
        assert not bag.discard(size + 1)
        assert (size + 1) not in bag


def test_a_number_whose_bytes_straddle_two_members_is_not_found_there() -> None:
    # 256 is 00 01 00 00 (little-endian): the bytes of [0x01000000, 0] read from the
    # second byte; the search must skip that unaligned match and report absence.
    bag = NumberBag()
    for number in (1 << 24, 0, 7):
        bag.add(number)
    assert 256 not in bag
    assert 7 in bag and 0 in bag
