"""Stable ids for imported postings: the same row always gets the same ids.

Re-importing a file therefore upserts the same postings (Kafka compaction keeps one per
posting_id) and repeats the same event_ids (the workers drop the duplicates).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Legal-form marks that one company writes in several ways: "(주)한빛", "㈜한빛" (NFKC
# turns it into "(주)"), "한빛 주식회사", "（주）한빛" (full-width brackets).
_LEGAL_FORM_RE = re.compile(
    r"\((?:주|유|재|사|유한|합|합자)\)|주식회사|유한회사|유한책임회사|재단법인|사단법인"
)


def short_hash(text: str) -> str:
    """The first 12 hex digits of the SHA-1 of ``text`` (UTF-8).

    >>> short_hash("hello")
    'aaf4c61ddcc5'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def normalise_company(name: str) -> str:
    """A company name with legal-form marks, spaces and case removed.

    >>> normalise_company("(주)한빛 물류") == normalise_company("㈜한빛물류") == "한빛물류"
    True
    >>> normalise_company("（주）지아이티아카데미")
    '지아이티아카데미'
    """
    text = unicodedata.normalize("NFKC", name)
    return "".join(_LEGAL_FORM_RE.sub("", text).split()).casefold()


def employer_id_from_name(name: str) -> str:
    """``E-<12 hex>`` from the normalised company name.

    >>> employer_id_from_name("(주)프티스") == employer_id_from_name("주식회사 프티스")
    True
    """
    return f"E-{short_hash('name:' + normalise_company(name))}"


def employer_id_from_source(source: str, company_key: str) -> str:
    """``E-<12 hex>`` from a job site's own company key (사람인's ``csn``).

    >>> employer_id_from_source("saramin", "d1Z4R3hRemNlam9lcCtEazRkTHpSdz09")
    'E-cd44b3860b1b'
    """
    return f"E-{short_hash(f'{source}:{company_key}')}"


def event_id_for(posting_id: str) -> str:
    """The deterministic event id of a posting's import: ``import-<posting_id>``.

    >>> event_id_for("SR-48917246")
    'import-SR-48917246'
    """
    return f"import-{posting_id}"
