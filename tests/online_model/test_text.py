"""Tokenizers: the character bigrams (Korean) and whole words (Latin script) the product
ships, and nothing else."""

from __future__ import annotations

import csv
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from online_model.text import (
    DEFAULT_TOKENIZER,
    ENGLISH_STOPWORDS,
    STOPWORDS,
    CharNgramTokenizer,
    normalize,
    tokens_of_all,
)
from tests.shared_data import POSTINGS_DIR

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


# ---------------------------------------------------------------- text beyond Korean
SARAMIN = POSTINGS_DIR / "saramin_it_postings_2024.csv"
WORK24 = POSTINGS_DIR / "work24_gangnam_job_information.csv"


def _titles(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [row[column] for row in csv.DictReader(f)]


def test_latin_words_are_whole_words_not_letter_pairs() -> None:
    tok = CharNgramTokenizer()
    assert tok.tokens("Accounting Clerk") == {"accounting", "clerk"}
    # Two English titles share a token only when they share a word.
    assert not tok.tokens("Administrative Assistant") & tok.tokens("Accounting Clerk")


def test_a_mixed_title_gives_korean_bigrams_and_english_words() -> None:
    tok = CharNgramTokenizer()
    assert tok.tokens("Java 백엔드 개발자") == {"java", "백엔", "엔드", "개발", "발자"}
    # Glued scripts split where the script changes.
    assert tok.tokens("Java백엔드") == {"java", "백엔", "엔드"}
    assert tok.tokens("C++ / C# / Node.js / .NET") == {"c++", "c#", "node.js", ".net"}


def test_english_filler_words_and_lone_digits_are_dropped() -> None:
    assert CharNgramTokenizer().tokens("Jobs for the Clerk in 3 shifts") == {"clerk", "shifts"}


def test_real_saramin_titles_keep_their_english_skill_words() -> None:
    tok = CharNgramTokenizer()
    titles = _titles(SARAMIN, "채용 제목")
    with_latin = [t for t in titles if re.search(r"[A-Za-z]{3,}", t)]
    assert len(with_latin) > 100
    for title in with_latin:
        tokens = tok.tokens(title)
        for word in re.findall(r"[A-Za-z]{3,}", title):
            if word.lower() not in ENGLISH_STOPWORDS:
                # The word itself, or the technology name it is part of (node.js).
                assert any(word.lower() in t for t in tokens), (title, word)
        # No letter pair of a Latin word leaks in as a token of its own.
        assert not {t for t in tokens if re.fullmatch(r"[a-z]{2}", t)} - {
            w.lower() for w in re.findall(r"[A-Za-z]+", title)
        }, title


def test_real_work24_titles_tokenize_as_before_where_they_are_korean() -> None:
    tok = CharNgramTokenizer()
    for title in _titles(WORK24, "position_title"):
        if re.search(r"[A-Za-z0-9\u3131-\u318e]", normalize(title)):
            continue
        # Pure Korean titles: bigrams of every non-stopword word, exactly as before.
        words = [w for w in re.findall(r"[가-힣]+", normalize(title)) if w not in STOPWORDS]
        want = {
            w if len(w) <= 2 else w[i : i + 2] for w in words for i in range(max(1, len(w) - 1))
        }
        assert tok.tokens(title) == want - STOPWORDS, title
