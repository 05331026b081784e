"""An experiment, not the product: titles and skills tokenized by the Kiwi analyser.

``KiwiTokenizer`` implements ``online_model.text.Tokenizer`` with the nouns, roots and
foreign words of the kiwipiepy morphological analyser, so that ``bench/eval_report.py
--tokenizers`` can compare it with the character bigrams the product ships (see
docs/evaluation.md, "The tokenizer decision"). kiwipiepy is not a dependency of jobmatch:

    .venv/bin/pip install kiwipiepy
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from typing import Any

from online_model.text import STOPWORDS, normalize

INSTALL_HINT = "install it with .venv/bin/pip install kiwipiepy"

# Part-of-speech tags kept: general and proper nouns, roots, foreign words (SL: "python"),
# Chinese characters and numbers glued to nouns.
KEPT_TAGS = frozenset({"NNG", "NNP", "XR", "SL", "SH", "SN"})


def kiwi_available() -> bool:
    """Whether kiwipiepy can be imported (without loading its model)."""
    return importlib.util.find_spec("kiwipiepy") is not None


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    try:
        from kiwipiepy import Kiwi
    except ImportError as err:
        raise RuntimeError(f"KiwiTokenizer needs the kiwipiepy package: {INSTALL_HINT}") from err
    return Kiwi()


@lru_cache(maxsize=131072)
def _kiwi_tokens(text: str) -> frozenset[str]:
    out: set[str] = set()
    for token in _kiwi().tokenize(normalize(text)):
        if token.tag in KEPT_TAGS:
            form = token.form.lower()
            if form not in STOPWORDS:
                out.add(form)
    return frozenset(out)


def clear_caches(*, model: bool = True) -> None:
    """Forget the tokens (and the loaded model), so that a timed run starts cold."""
    _kiwi_tokens.cache_clear()
    if model:
        _kiwi.cache_clear()


class KiwiTokenizer:
    """Nouns, roots and foreign words from kiwipiepy, lower-cased, without stopwords.

    The analyser loads lazily (about a second) on first use and is shared. For example
    ``"물류센터 지게차 운전원 채용"`` gives ``물류``, ``센터``, ``운전``, ``원``, ``지게차``.
    """

    name = "kiwi"

    def tokens(self, text: str) -> frozenset[str]:
        """Noun-like morphemes of ``text``."""
        return _kiwi_tokens(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KiwiTokenizer)

    def __hash__(self) -> int:
        return hash(KiwiTokenizer)

    def __reduce__(self) -> tuple[Any, ...]:
        return (KiwiTokenizer, ())
