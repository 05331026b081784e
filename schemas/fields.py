"""Field kinds: each one checks a decoded JSON value and describes itself as JSON Schema.

The contract is declared once, as trees of these kinds (see the ``*_SPEC`` constants of
:mod:`schemas.postings`, :mod:`schemas.profiles` and :mod:`schemas.interactions`). The
same declaration validates every message (plain Python checks over the ``orjson``
result, fast enough for every event) and generates the committed JSON Schema files
(:mod:`schemas.jsonschema_gen`), so the two cannot drift apart.

A kind's :meth:`Field.check` returns the value the dataclasses hold (tuples for lists,
dataclass instances for objects) or raises :class:`~schemas.errors.ValidationError` with
a path relative to the value; containers prefix the field name or list index on the way
out, so the success path builds no path strings at all.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable
from typing import Any

import orjson

from schemas.errors import ValidationError

JsonSchema = dict[str, Any]
Defs = dict[str, JsonSchema]


def describe(value: object) -> str:
    """A short rendering of a received value for an error message.

    Parameters
    ----------
    value
        Whatever arrived.

    Examples
    --------
    >>> describe("삼백만원"), describe(None), describe(True), describe(2.5)
    ('"삼백만원"', 'null', 'true', '2.5')
    >>> describe([1, 2]), describe({"a": 1})
    ('a list', 'an object')
    >>> describe("x" * 100)
    'a string of 100 characters'
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        if len(value) > 40:
            return f"a string of {len(value)} characters"
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # a lone surrogate: only possible in already-decoded objects
            return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__name__}"


def _fail(expected: str, value: object) -> ValidationError:
    return ValidationError("", f"expected {expected}, got {describe(value)}")


class Field:
    """A kind of JSON value: its Python check, its JSON Schema and its JSON output.

    Subclasses set :attr:`expected` (the phrase after "expected" in error messages) and
    :attr:`doc` (one line for documentation and JSON Schema ``description``).
    """

    expected: str = "a value"
    doc: str = ""

    def check(self, value: object) -> Any:
        """Return the value to store, or raise ``ValidationError`` (path relative)."""
        raise NotImplementedError

    def schema(self, defs: Defs) -> JsonSchema:
        """The JSON Schema of this kind; named sub-schemas are added to ``defs``."""
        raise NotImplementedError

    def dump(self, value: Any) -> Any:
        """The JSON value for a stored value (the inverse of :meth:`check`)."""
        return value

    def children(self) -> tuple[Field, ...]:
        """The kinds nested in this one (items, properties, the non-null case)."""
        return ()


# C0 control characters and DEL: never part of a name, title or tag. Free text may keep
# tab, line feed and carriage return (TEXT_CONTROL_CHARACTERS).
CONTROL_CHARACTERS = r"\x00-\x1f\x7f"
TEXT_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"


class Str(Field):
    """A string of ``min_length`` to ``max_length`` characters, optionally a full pattern match.

    Parameters
    ----------
    min_length, max_length
        Bounds on the number of characters (code points, as JSON Schema counts);
        ``max_length=None`` for no upper bound.
    pattern
        A regular expression the whole string must match (no anchors; they are added).
    forbidden
        Characters the string may not hold, as the inside of a regex class (for example
        :data:`CONTROL_CHARACTERS`), checked besides the bounds.
    expected
        The phrase used in error messages; built from the bounds when omitted.

    Examples
    --------
    >>> Str(1, 5).check("abc")
    'abc'
    >>> Str(1, 5).check("")
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: expected a string of 1 to 5 characters, got ""
    >>> try:
    ...     Str(0, 9, forbidden=CONTROL_CHARACTERS).check("a\\x00b")
    ... except ValidationError as e:
    ...     print(e)
    expected a string of at most 9 characters without control characters, got "a\\u0000b"
    """

    def __init__(
        self,
        min_length: int = 0,
        max_length: int | None = 10_000,
        *,
        pattern: str | None = None,
        forbidden: str | None = None,
        expected: str | None = None,
        doc: str = "",
    ) -> None:
        self.min_length = min_length
        self.max_length = max_length if max_length is not None else 2**63
        self._has_max = max_length is not None
        self.pattern = pattern
        # fullmatch, not "^...$": Python's "$" also matches before a trailing newline.
        self._regex = re.compile(pattern) if pattern else None
        self.forbidden = forbidden
        self._forbidden = re.compile(f"[{forbidden}]") if forbidden else None
        if expected is None:
            lo, hi = min_length, max_length
            if hi is None:
                expected = f"a string of at least {lo} characters" if lo else "a string"
            elif lo == 0:
                expected = f"a string of at most {hi} characters"
            else:
                expected = f"a string of {lo} to {hi} characters"
            if forbidden:
                expected += " without control characters"
        self.expected = expected
        self.doc = doc

    def check(self, value: object) -> Any:
        if not isinstance(value, str):
            raise _fail(self.expected, value)
        n = len(value)
        if n < self.min_length or n > self.max_length:
            raise _fail(self.expected, value)
        if self._regex is not None and self._regex.fullmatch(value) is None:
            raise _fail(self.expected, value)
        if self._forbidden is not None and self._forbidden.search(value) is not None:
            raise _fail(self.expected, value)
        return value

    def schema(self, defs: Defs) -> JsonSchema:
        out: JsonSchema = {"type": "string"}
        if self.pattern is not None:
            out["pattern"] = f"^{self.pattern}$"
        else:
            if self.min_length:
                out["minLength"] = self.min_length
            if self._has_max:
                out["maxLength"] = self.max_length
            if self.forbidden:
                out["pattern"] = f"^[^{self.forbidden}]*$"
        return out


class Int(Field):
    """An integer in ``[minimum, maximum]``; booleans are not integers, ``3.0`` is ``3``.

    JSON Schema counts a number with a zero fractional part as an integer, and so do we,
    so that producers whose JSON writer prints ``3.0`` agree with both.

    Parameters
    ----------
    minimum, maximum
        Inclusive bounds.
    expected
        The phrase used in error messages; built from the bounds when omitted.
    show_maximum
        Whether the default ``expected`` names ``maximum`` (False for sanity caps that
        only matter when exceeded).

    Examples
    --------
    >>> Int(0, 10).check(3.0)
    3
    >>> Int(0, 10).check(True)
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: expected an integer from 0 to 10, got true
    >>> Int(0, 10**10, show_maximum=False).check(-1)
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: expected an integer >= 0, got -1
    """

    def __init__(
        self,
        minimum: int,
        maximum: int,
        *,
        expected: str | None = None,
        show_maximum: bool = True,
        doc: str = "",
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        # Above a cap that the phrase does not name, say the cap instead.
        self._over = expected or f"an integer from {minimum} to {maximum}"
        if not show_maximum:
            self._over = f"an integer <= {maximum}"
        if expected is None:
            expected = (
                f"an integer from {minimum} to {maximum}"
                if show_maximum
                else f"an integer >= {minimum}"
            )
        self.expected = expected
        self.doc = doc

    def check(self, value: object) -> Any:
        if type(value) is int:
            n = value
        elif type(value) is float and value.is_integer():
            n = int(value)
        else:
            raise _fail(self.expected, value)
        if n < self.minimum:
            raise _fail(self.expected, value)
        if n > self.maximum:
            raise _fail(self._over, value)
        return n

    def schema(self, defs: Defs) -> JsonSchema:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


class Enum(Field):
    """One of a fixed set of strings, given directly or loaded lazily (code lists).

    Parameters
    ----------
    values
        The allowed strings, or a function returning them (called once, on first use).
    expected
        The phrase used in error messages; lists the values when omitted.
    def_name
        When set, the JSON Schema puts the list in ``$defs`` under this name and refers to
        it, so long code lists appear once per file.

    Examples
    --------
    >>> Enum(("upsert", "close")).check("delete")
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: expected one of "upsert", "close", got "delete"
    """

    def __init__(
        self,
        values: tuple[str, ...] | Callable[[], tuple[str, ...]],
        *,
        expected: str | None = None,
        def_name: str | None = None,
        doc: str = "",
    ) -> None:
        self._values = values
        self._set: frozenset[str] | None = None
        if expected is None:
            if callable(values):
                raise ValueError("a lazily loaded Enum needs an `expected` phrase")
            expected = "one of " + ", ".join(f'"{v}"' for v in values)
        self.expected = expected
        self.def_name = def_name
        self.doc = doc

    @property
    def values(self) -> tuple[str, ...]:
        """The allowed strings, in declaration order."""
        return self._values() if callable(self._values) else self._values

    def check(self, value: object) -> Any:
        allowed = self._set
        if allowed is None:
            allowed = self._set = frozenset(self.values)
        if not isinstance(value, str) or value not in allowed:
            raise _fail(self.expected, value)
        return value

    def schema(self, defs: Defs) -> JsonSchema:
        body: JsonSchema = {"enum": list(self.values)}
        if self.def_name is None:
            return body
        if self.doc:
            body = {"description": self.doc, **body}
        defs[self.def_name] = body
        return {"$ref": f"#/$defs/{self.def_name}"}


class Date(Field):
    """A calendar date ``YYYY-MM-DD`` that exists (no 2026-02-30).

    Examples
    --------
    >>> Date().check("2026-12-31")
    '2026-12-31'
    >>> Date().check("2026-02-30")
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: expected a calendar date YYYY-MM-DD, got "2026-02-30"
    """

    expected = "a calendar date YYYY-MM-DD"
    _shape = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def __init__(self, *, doc: str = "") -> None:
        self.doc = doc

    def check(self, value: object) -> Any:
        if not isinstance(value, str) or self._shape.fullmatch(value) is None:
            raise _fail(self.expected, value)
        try:
            # Only for the exact shape above: Python 3.11 also accepts "20261231" here.
            datetime.date.fromisoformat(value)
        except ValueError:
            raise _fail(self.expected, value) from None
        return value

    def schema(self, defs: Defs) -> JsonSchema:
        # The pattern keeps the shape checked by validators that ignore "format".
        return {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


class Nullable(Field):
    """``null`` or the inner kind.

    Examples
    --------
    >>> Nullable(Int(1, 3)).check(None) is None
    True
    >>> Nullable(Int(1, 3)).check("2")
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: expected null or an integer from 1 to 3, got "2"
    """

    def __init__(self, inner: Field, *, doc: str = "") -> None:
        self.inner = inner
        self.expected = f"null or {inner.expected}"
        self.doc = doc or inner.doc

    def check(self, value: object) -> Any:
        if value is None:
            return None
        try:
            return self.inner.check(value)
        except ValidationError as e:
            raise self.mention_null(e) from None

    def mention_null(self, e: ValidationError) -> ValidationError:
        """The inner kind's error, saying that null was an option too when it can."""
        if e.path or not e.problem.startswith(f"expected {self.inner.expected}"):
            return e
        return ValidationError("", f"expected null or {e.problem[len('expected ') :]}")

    def schema(self, defs: Defs) -> JsonSchema:
        inner = self.inner.schema(defs)
        if isinstance(inner.get("type"), str):
            return {**inner, "type": [inner["type"], "null"]}
        if set(inner) == {"enum"}:
            return {"enum": [*inner["enum"], None]}
        return {"anyOf": [inner, {"type": "null"}]}

    def dump(self, value: Any) -> Any:
        return None if value is None else self.inner.dump(value)

    def children(self) -> tuple[Field, ...]:
        return (self.inner,)


class ListOf(Field):
    """A JSON array of at most ``max_items`` items of one kind, stored as a tuple.

    Parameters
    ----------
    item
        The kind of every item.
    max_items
        Largest allowed length.
    unique
        Whether an item may appear twice.

    Examples
    --------
    >>> ListOf(Str(1, 5), max_items=3).check(["a", "b"])
    ('a', 'b')
    >>> ListOf(Str(1, 5), max_items=3, unique=True).check(["a", "a"])
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: [1]: duplicate item "a"
    """

    def __init__(self, item: Field, *, max_items: int, unique: bool = False, doc: str = "") -> None:
        self.item = item
        self.max_items = max_items
        self.unique = unique
        distinct = " distinct" if unique else ""
        self.expected = f"a list of at most {max_items}{distinct} items"
        self.doc = doc

    def check(self, value: object) -> Any:
        if not isinstance(value, (list, tuple)):
            raise _fail(self.expected, value)
        if len(value) > self.max_items:
            raise ValidationError("", f"expected {self.expected}, got a list of {len(value)} items")
        check = self.item.check
        try:
            out = tuple(map(check, value))
        except ValidationError:
            # Slow path, only on failure: find which item failed, for its index.
            for i, item in enumerate(value):
                try:
                    check(item)
                except ValidationError as e:
                    raise e.within(f"[{i}]") from None
            raise
        if self.unique and len(set(out)) != len(out):
            seen: set[Any] = set()
            for i, item in enumerate(out):
                if item in seen:
                    raise ValidationError(f"[{i}]", f"duplicate item {describe(item)}")
                seen.add(item)
        return out

    def schema(self, defs: Defs) -> JsonSchema:
        out: JsonSchema = {
            "type": "array",
            "items": self.item.schema(defs),
            "maxItems": self.max_items,
        }
        if self.unique:
            out["uniqueItems"] = True
        return out

    def dump(self, value: Any) -> Any:
        return [self.item.dump(v) for v in value]

    def children(self) -> tuple[Field, ...]:
        return (self.item,)


@dataclasses.dataclass(frozen=True)
class Prop:
    """One property of an object: its name, kind, whether it must be present, and what it means."""

    name: str
    field: Field
    required: bool = False
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class CrossCheck:
    """A rule across properties that JSON Schema cannot express; checked in Python only.

    ``check`` receives the built dataclass and raises ``ValidationError`` (path relative
    to the object); ``doc`` names the rule in docs/events.md.
    """

    doc: str
    check: Callable[[Any], None]


_MISSING: Any = object()


class Obj(Field):
    """A JSON object built into a dataclass; unknown properties are ignored.

    Parameters
    ----------
    cls
        The frozen dataclass to build; a missing optional property takes its default.
    props
        The properties, in the order they are checked and documented.
    def_name
        The name of this object in the JSON Schema ``$defs``.
    cross_checks
        Python-only rules across properties, run after every property passed.

    Examples
    --------
    >>> from schemas.postings import Wage
    >>> spec = Obj(Wage, (Prop("type", Enum(("monthly",)), True), Prop("min", Int(0, 9), True)))
    >>> spec.check({"type": "monthly", "min": 3, "note": "ignored"})
    Wage(type='monthly', min=3, max=None)
    >>> spec.check({"type": "monthly"})
    Traceback (most recent call last):
    ...
    schemas.errors.ValidationError: min: required field is missing
    """

    def __init__(
        self,
        cls: type[Any],
        props: tuple[Prop, ...],
        *,
        def_name: str | None = None,
        cross_checks: tuple[CrossCheck, ...] = (),
        doc: str = "",
    ) -> None:
        self.cls = cls
        self.props = props
        self.def_name = def_name
        self.cross_checks = cross_checks
        self.expected = "an object"
        self.doc = doc
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        unknown = [p.name for p in props if p.name not in defaults]
        if unknown:
            raise ValueError(f"{cls.__name__} has no field(s) {unknown}")
        # Optional properties left out of the JSON when they hold their empty default.
        self._omit_when: dict[str, Any] = {
            p.name: defaults[p.name]
            for p in props
            if not p.required and defaults[p.name] in (None, "", ())
        }
        # (name, check, required, nullable): a Nullable's inner check is called directly
        # and null handled here, which saves a call per field on every message.
        self._checks = tuple(
            (p.name, p.field.inner.check, p.required, p.field)
            if isinstance(p.field, Nullable)
            else (p.name, p.field.check, p.required, None)
            for p in props
        )

    def check(self, value: object) -> Any:
        if not isinstance(value, dict):
            raise _fail(self.expected, value)
        kwargs: dict[str, Any] = {}
        for name, check, required, nullable in self._checks:
            raw = value.get(name, _MISSING)
            if raw is _MISSING:
                if required:
                    raise ValidationError(name, "required field is missing")
                continue
            if raw is None and nullable is not None:
                kwargs[name] = None
                continue
            try:
                kwargs[name] = check(raw)
            except ValidationError as e:
                if nullable is not None:
                    e = nullable.mention_null(e)
                raise e.within(name) from None
        built = self.cls(**kwargs)
        for rule in self.cross_checks:
            rule.check(built)
        return built

    def schema(self, defs: Defs) -> JsonSchema:
        properties: JsonSchema = {}
        for p in self.props:
            sub = p.field.schema(defs)
            doc = p.doc or p.field.doc
            properties[p.name] = {"description": doc, **sub} if doc else sub
        body: JsonSchema = {"type": "object"}
        if self.doc:
            body["description"] = self.doc
        required = [p.name for p in self.props if p.required]
        if required:
            body["required"] = required
        body["properties"] = properties
        if self.def_name is None:
            return body
        defs[self.def_name] = body
        return {"$ref": f"#/$defs/{self.def_name}"}

    def dump(self, value: Any) -> Any:
        out: dict[str, Any] = {}
        omit = self._omit_when
        for p in self.props:
            v = getattr(value, p.name)
            if p.name in omit and v == omit[p.name]:
                continue
            out[p.name] = p.field.dump(v)
        return out

    def children(self) -> tuple[Field, ...]:
        return tuple(p.field for p in self.props)


def cross_checks_of(field: Field) -> tuple[CrossCheck, ...]:
    """Every Python-only rule of ``field`` and the kinds nested in it, outermost first.

    Examples
    --------
    >>> from schemas.spec import POSTING
    >>> [rule.doc for rule in cross_checks_of(POSTING)]
    ['`career_max_years` is null or >= `career_min_years`', '`wage.max` is null or >= `wage.min`']
    """
    own = field.cross_checks if isinstance(field, Obj) else ()
    nested = tuple(rule for child in field.children() for rule in cross_checks_of(child))
    return own + nested
