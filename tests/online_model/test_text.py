"""Tokenizers: the character bigrams the product ships, and nothing else."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from online_model.text import DEFAULT_TOKENIZER, STOPWORDS, CharNgramTokenizer, tokens_of_all

ROOT = Path(__file__).resolve().parents[2]

# Hangul syllables, ASCII letters and digits, and spaces: the text tokens are made of.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.sampled_from("abcxyzABC019 "),
    ),
    max_size=30,
)


def test_the_default_is_character_bigrams() -> None:
    assert DEFAULT_TOKENIZER.name == "char2"
    assert isinstance(DEFAULT_TOKENIZER, CharNgramTokenizer) and DEFAULT_TOKENIZER.n == 2


def test_a_compound_written_without_spaces_shares_tokens_with_its_parts() -> None:
    tok = CharNgramTokenizer()
    assert tok.tokens("지게차") <= tok.tokens("지게차운전원")
    assert tok.tokens("지게차 운전") <= tok.tokens("지게차운전")


def test_generic_recruiting_words_are_dropped() -> None:
    assert CharNgramTokenizer().tokens("신입 채용 모집 정규직") == frozenset()
    assert not CharNgramTokenizer().tokens("요양보호사 채용") & STOPWORDS


def test_full_width_and_case_compare_equal() -> None:
    tok = CharNgramTokenizer()
    assert tok.tokens("Ｐｙｔｈｏｎ") == tok.tokens("python") == tok.tokens("PYTHON")


def test_n_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CharNgramTokenizer(n=0)


def test_a_pickled_tokenizer_tokenizes_alike() -> None:
    # Catalogs are pickled with their tokenizer (worker state, snapshots of tables).
    tok = CharNgramTokenizer(n=3)
    copy = pickle.loads(pickle.dumps(tok))
    assert (copy.name, copy.n) == ("char3", 3)
    assert copy.tokens("물류센터 지게차 운전원") == tok.tokens("물류센터 지게차 운전원")


@given(TEXT, TEXT)
def test_tokens_are_per_word_so_texts_combine_by_union(a: str, b: str) -> None:
    # The catalog indexes a posting by the union of its title's, skills' and certificates'
    # tokens; that equals tokenizing them as one text only if tokens never cross a space.
    tok = CharNgramTokenizer()
    assert tok.tokens(f"{a} {b}") == tokens_of_all(tok, [a, b])


def test_the_product_does_not_use_kiwi() -> None:
    # Character bigrams ranked as well as Kiwi at a fraction of the cost
    # (docs/evaluation.md); the Kiwi experiment lives in bench/ and kiwipiepy is not a
    # dependency, so no product module may import it.
    for folder in (
        "online_model",
        "schemas",
        "settings",
        "streams",
        "client",
        "simulator",
        "importers",
        "cli",
    ):
        for path in (ROOT / folder).rglob("*.py"):
            assert "kiwipiepy" not in path.read_text(encoding="utf-8"), path
