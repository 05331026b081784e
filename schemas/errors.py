"""The one error every parser and validator of the contract raises.

A :class:`ValidationError` names where the problem is (a field path such as
``posting.wage.min``), what was expected and what came, and carries a ``reason`` from a
small fixed set that dead-letter records and Prometheus labels use.
"""

from __future__ import annotations

from typing import Final

# Why a message was rejected; a small fixed set because it becomes a metric label.
BAD_UTF8: Final = "bad_utf8"
BAD_JSON: Final = "bad_json"
OVERSIZED: Final = "oversized"
UNSUPPORTED_VERSION: Final = "unsupported_version"
SCHEMA: Final = "schema"
# The Kafka key is not the id the body names (or is missing): applying it would put the
# seeker's state on a partition that does not own them.
KEY_MISMATCH: Final = "key_mismatch"
# A valid event the worker failed to apply (a bug, not the sender's fault): dead-lettered
# so that one message cannot stop its partition; replay it once the worker is fixed.
PROCESSING_ERROR: Final = "processing_error"
REASONS: tuple[str, ...] = (
    BAD_UTF8,
    BAD_JSON,
    OVERSIZED,
    UNSUPPORTED_VERSION,
    SCHEMA,
    KEY_MISMATCH,
    PROCESSING_ERROR,
)


class ValidationError(ValueError):
    """An event broke the contract.

    Parameters
    ----------
    path
        Where: a dotted field path with list indexes (``"posting.skills[3]"``), or ``""``
        when the problem concerns the whole message (bad UTF-8, not JSON, too large).
    problem
        What was expected and what came instead.
    reason
        One of :data:`REASONS`.

    Examples
    --------
    >>> e = ValidationError("posting.wage.min", 'expected an integer >= 0, got "삼백만원"')
    >>> str(e)
    'posting.wage.min: expected an integer >= 0, got "삼백만원"'
    >>> e.reason
    'schema'
    >>> str(ValidationError("", "not valid JSON", reason="bad_json"))
    'not valid JSON'
    >>> str(ValidationError("min", "expected an integer", reason="schema").within("wage"))
    'wage.min: expected an integer'
    """

    path: str
    problem: str
    reason: str

    def __init__(self, path: str, problem: str, *, reason: str = SCHEMA) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}; use one of {REASONS}")
        self.path = path
        self.problem = problem
        self.reason = reason
        super().__init__(f"{path}: {problem}" if path else problem)

    def within(self, parent: str) -> ValidationError:
        """The same error seen from one level up: ``parent`` is a field name or ``[i]``.

        Parameters
        ----------
        parent
            The field name (or list index in brackets) that contains :attr:`path`.

        Examples
        --------
        >>> str(ValidationError("", "expected a string").within("[2]").within("skills"))
        'skills[2]: expected a string'
        """
        if not self.path:
            path = parent
        elif self.path.startswith("["):
            path = parent + self.path
        else:
            path = f"{parent}.{self.path}"
        return ValidationError(path, self.problem, reason=self.reason)

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only ``reason`` would otherwise be lost when the error is pickled
        # (multiprocessing, Faust): rebuild through a helper that passes it.
        return (_rebuild, (self.path, self.problem, self.reason))


def _rebuild(path: str, problem: str, reason: str) -> ValidationError:
    return ValidationError(path, problem, reason=reason)
