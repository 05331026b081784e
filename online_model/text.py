"""Korean text to comparable tokens, behind one small interface.

:class:`CharNgramTokenizer` implements :class:`Tokenizer`: character bigrams inside each
Korean word, and Latin-script words (``java``, ``c++``, ``node.js``) whole. No dictionary,
no model, fast; robust to Korean compounds written without spaces (``지게차운전`` shares
``지게``/``게차`` with ``지게차``), while an English title such as "Accounting Clerk" gives
the words a reader would match on, not letter pairs that every English title shares. A
word that mixes scripts (``Java개발자``) splits where the script changes. A morphological
analyser ranked
no better in the offline evaluation and was about 40 times slower per title
(docs/evaluation.md, "The tokenizer decision"), so bigrams are the only tokenizer the
product ships; the interface stays so that experiments can plug in others.

Generic recruiting words (``채용``, ``모집``, ``신입`` ...) are dropped, since nearly every
title contains them.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Protocol

# Words (and their bigrams) that nearly every posting title carries; matching on them
# would make every posting a candidate for every seeker.
STOPWORDS: frozenset[str] = frozenset(
    {
        "채용",
        "모집",
        "구인",
        "구함",
        "급구",
        "신입",
        "경력",
        "직원",
        "사원",
        "정규",
        "정규직",
        "계약",
        "계약직",
        "우대",
        "가능",
        "무관",
        "담당",
        "담당자",
        "인원",
        "및",
        "00",
        "0명",
        "명",
        "각",
        "부문",
        "분야",
        "업무",
    }
)

# English words too common in job titles to say what a job is.
ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    {
        "a",
        "an",
        "and",
        "at",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "job",
        "jobs",
        "hiring",
        "wanted",
        "position",
        "new",
    }
)

# A run of one script: Hangul (syllables and jamo), or Latin letters and digits with the
# symbols that belong to technology names (c++, c#, node.js, .net).
_HANGUL_RUN = r"[\uac00-\ud7a3\u3131-\u318e]+"
_LATIN_RUN = r"\.?[0-9a-z][0-9a-z+#]*(?:\.[0-9a-z+#]+)*"
_RUN = re.compile(f"({_HANGUL_RUN})|({_LATIN_RUN})")
# Any word character we keep (certificate names are compared with separators removed).
_WORD = re.compile(r"[0-9a-z\uac00-\ud7a3\u3131-\u318e]+")


def normalize(text: str) -> str:
    """NFKC and lower case, so ``Ｐｙｔｈｏｎ`` and ``python`` compare equal.

    Examples
    --------
    >>> normalize("Ｐｙｔｈｏｎ 개발")
    'python 개발'
    """
    return unicodedata.normalize("NFKC", text).lower()


class Tokenizer(Protocol):
    """Turns text into a set of tokens; equal tokens mean shared meaning.

    Implementations must be deterministic and pure (same text, same tokens), since the
    catalog indexes postings with the tokens they return and the features compare them.
    ``name`` identifies the tokenizer in snapshots and reports.
    """

    name: str

    def tokens(self, text: str) -> frozenset[str]:
        """The set of tokens of ``text``."""
        ...

    def __hash__(self) -> int:
        """Tokenizers key caches, so they must be hashable."""
        ...


def tokens_of_all(tokenizer: Tokenizer, texts: Iterable[str]) -> frozenset[str]:
    """The union of the tokens of several texts (titles, skills, certificates).

    Examples
    --------
    >>> sorted(tokens_of_all(CharNgramTokenizer(), ["지게차", "물류"]))
    ['게차', '물류', '지게']
    """
    out: set[str] = set()
    for text in texts:
        out |= tokenizer.tokens(text)
    return frozenset(out)


@lru_cache(maxsize=131072)
def _char_ngrams(text: str, n: int) -> frozenset[str]:
    out: set[str] = set()
    for hangul, latin in _RUN.findall(normalize(text)):
        if latin:
            # Whole words; a lone digit ("3교대", "1명") says nothing about the job.
            if latin not in ENGLISH_STOPWORDS and not (latin.isdigit() and len(latin) == 1):
                out.add(latin)
        elif hangul in STOPWORDS:
            continue
        elif len(hangul) <= n:
            out.add(hangul)
        else:
            out.update(hangul[i : i + n] for i in range(len(hangul) - n + 1))
    # Interned: the same token of many postings and seekers is one string, not one each.
    return frozenset(sys.intern(token) for token in out - STOPWORDS)


class CharNgramTokenizer:
    """Character n-grams (default bigrams) within each Korean word; short Korean words and
    Latin-script words stay whole.

    Parameters
    ----------
    n
        The n-gram length; 2 suits Korean, where most content morphemes are 2 syllables.

    Examples
    --------
    >>> tok = CharNgramTokenizer()
    >>> sorted(tok.tokens("물류센터 지게차 운전원 채용"))
    ['게차', '류센', '물류', '센터', '운전', '전원', '지게']
    >>> sorted(tok.tokens("웹 Python"))
    ['python', '웹']
    >>> sorted(tok.tokens("Java백엔드 개발자 (Node.js, C++)"))
    ['c++', 'java', 'node.js', '개발', '발자', '백엔', '엔드']
    """

    def __init__(self, *, n: int = 2) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.n = n
        self.name = f"char{n}"

    def tokens(self, text: str) -> frozenset[str]:
        """Character n-grams of every word of ``text`` (see class docs)."""
        return _char_ngrams(text, self.n)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_make_char, (self.n,))


def _make_char(n: int) -> CharNgramTokenizer:
    return CharNgramTokenizer(n=n)


DEFAULT_TOKENIZER: Tokenizer = CharNgramTokenizer()


def normalize_certificate(name: str) -> str:
    """Certificates compare by name without spaces or punctuation.

    Examples
    --------
    >>> normalize_certificate(" 지게차 운전기능사 ")
    '지게차운전기능사'
    """
    return "".join(_WORD.findall(normalize(name)))
