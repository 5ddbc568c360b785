"""Validated, frozen experiment configs whose fields carry their own limits.

Every page's config is a frozen dataclass built from :func:`param` fields. The limits written on
a field are used three times: by ``__post_init__`` to reject bad values, by ``labui`` to build the
widgets (label, help text, slider range), and by :func:`from_strings` to read URL parameters with
exactly the same rules. One place states a limit; nothing can disagree with it.

Example:
    >>> @dataclasses.dataclass(frozen=True)
    ... class Toy(Config):
    ...     n: int = param(20, label="Points", help="How many.", min=5, max=100)
    >>> try:
    ...     Toy(n=3)
    ... except ValueError as error:
    ...     print(error)
    Points (n) must be between 5 and 100. Got 3.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
import typing
from collections.abc import Mapping
from typing import Any, Literal, Self, get_args, get_origin

from labcore.errors import SettingError


@dataclasses.dataclass(frozen=True)
class Spec:
    """What a user may set a config field to, and how to present it.

    Attributes:
        label: short name shown next to the widget.
        help: one sentence for a newcomer, shown as the widget's tooltip.
        min: smallest allowed value (numbers only).
        max: largest allowed value (numbers only).
        step: widget step for numbers.
        log: present the number on a log scale (learning rates).
        choices: allowed values with a display name each (``Literal`` fields).
        group: which section of the sidebar the widget belongs to.
    """

    label: str
    help: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    log: bool = False
    choices: Mapping[Any, str] | None = None
    group: str = "Settings"


def param(
    default: Any,
    *,
    label: str,
    help: str,
    min: float | None = None,
    max: float | None = None,
    step: float | None = None,
    log: bool = False,
    choices: Mapping[Any, str] | None = None,
    group: str = "Settings",
) -> Any:
    """A dataclass field whose metadata holds a :class:`Spec`."""
    spec = Spec(label, help, min, max, step, log, dict(choices) if choices else None, group)
    return dataclasses.field(default=default, metadata={"spec": spec})


def spec_of(field: dataclasses.Field) -> Spec:
    """The :class:`Spec` of a field (fields made without :func:`param` get a plain one)."""
    return field.metadata.get("spec") or Spec(label=field.name, help="")


@functools.cache
def _resolved_types(cls: type) -> dict[str, Any]:
    """Field name → type, with string annotations resolved in the class's own module.

    The namespace comes from the dataclass ``__init__`` (created with the module's globals),
    not from ``sys.modules``: Streamlit's file watcher may drop a module from ``sys.modules``
    while sessions still hold configs of its classes.
    """
    namespace = dict(getattr(sys.modules.get(cls.__module__), "__dict__", {}))
    namespace.update(getattr(cls.__init__, "__globals__", {}))
    return typing.get_type_hints(cls, globalns=namespace)


def _base_type(tp: Any) -> Any:
    """int, float, bool or str for a field type; Literal[...] maps to the type of its values."""
    if get_origin(tp) is Literal:
        return type(get_args(tp)[0])
    return tp


ECHO_CHARS = 40
"""The most characters of a user's value that a message quotes (:func:`echo`)."""


def echo(value: Any, limit: int = ECHO_CHARS, *, quote: bool | None = None) -> str:
    """``value`` as a message quotes it after "Got": ``repr`` for text, ``str`` for the rest,
    and only its first ``limit`` characters when it is longer, with its length.

    A link or a file may hold a value of any size; the message stays short.

    Args:
        value: what the user gave.
        limit: the most characters shown.
        quote: ``repr`` the text (True) or not (False); by default text is quoted, numbers
            are not.

    Example:
        >>> echo("abc"), echo(3.5), echo("9" * 10_000, limit=5)
        ("'abc'", '3.5', "'99999'… (10,000 characters)")
    """
    if quote is None:
        quote = isinstance(value, str)
    return _clip(value if isinstance(value, str) else str(value), repr if quote else str, limit)


def _clip(text: str, quote: Any, limit: int) -> str:
    if len(text) <= limit and len(quote(text)) <= 2 * limit:
        return quote(text)
    head = text[:limit]
    while len(quote(head)) > 2 * limit:  # escapes (\x00, \udcff) make a character 4-10 long
        head = head[:-1]
    return f"{quote(head)}… ({len(text):,} characters)"


class FieldError(SettingError):
    """A config value that breaks its field's rule; ``field`` names the field at fault.

    A :class:`~labcore.errors.SettingError`: the user's to fix. Pages show the message; URL
    readers use ``field`` to drop just that parameter.

    Example:
        >>> error = FieldError("Points (n) must be between 5 and 100. Got 3.", field="n")
        >>> error.field, isinstance(error, SettingError), isinstance(error, ValueError)
        ('n', True, True)
    """


class Config:
    """Base class for frozen experiment configs: validates every field on construction.

    Subclasses are ``@dataclasses.dataclass(frozen=True)`` and may override :meth:`check` for
    rules that involve several fields (call ``super().check()`` first).
    """

    def __post_init__(self) -> None:
        """Run :meth:`check`. Its rules are about the user's settings, so a plain ``ValueError``
        from a subclass's rule across fields is raised as a :class:`~labcore.errors.SettingError`
        with the same message."""
        try:
            self.check()
        except SettingError:
            raise
        except ValueError as exc:
            raise SettingError(str(exc)) from exc

    def check(self) -> None:
        """Raise :class:`FieldError` ("<label> (<name>) must be … Got <value>.") on a bad field."""
        types = _resolved_types(type(self))
        for f in dataclasses.fields(self):
            _check_value(f, types[f.name], getattr(self, f.name))

    @classmethod
    def field_specs(cls) -> dict[str, Spec]:
        """Field name → :class:`Spec`, in declaration order."""
        return {f.name: spec_of(f) for f in dataclasses.fields(cls)}

    @classmethod
    def inactive_fields(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """Fields that change nothing for these settings (a page shows no widget for them).

        ``values`` may break the config's rules (it is what a form holds before validation);
        subclasses override this, e.g. ensemble size matters only for ensembles.
        """
        return frozenset()

    @classmethod
    def field_type(cls, name: str) -> Any:
        """The declared type of a field (``Literal[...]`` kept as is)."""
        return _resolved_types(cls)[name]

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, validated like a new config."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Field name → value."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_strings(self) -> dict[str, str]:
        """Field name → text form, for URLs; :func:`from_strings` reads it back."""
        return {k: _to_text(v) for k, v in self.to_dict().items()}

    def diff_strings(self) -> dict[str, str]:
        """Like :meth:`to_strings`, but only the fields that differ from the defaults."""
        default = type(self)()
        return {
            k: v for k, v in self.to_strings().items() if getattr(default, k) != getattr(self, k)
        }

    @classmethod
    def from_strings(cls, values: Mapping[str, str], base: Config | None = None) -> Self:
        """Build a config from text values (URL parameters), with the same limits as widgets.

        Unknown keys are ignored; missing keys keep ``base``'s value (or the default).

        Raises:
            FieldError: a value cannot be read or breaks a field's limits.
        """
        start = base if base is not None else cls()
        types = _resolved_types(cls)
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in values:
                changes[f.name] = _parse(f, types[f.name], values[f.name])
        return dataclasses.replace(start, **changes)


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _fail(field: dataclasses.Field, rule: str, got: str) -> FieldError:
    """``FieldError("<label> (<name>) must be <rule>. Got <got>.")`` for ``field``."""
    return FieldError(f"{spec_of(field).label} ({field.name}) must be {rule}. Got {got}.",
                      field=field.name)


def _parse(field: dataclasses.Field, tp: Any, text: str) -> Any:
    base = _base_type(tp)
    raw = str(text).strip()
    if base is bool:
        if raw.lower() in ("true", "1", "yes", "on"):
            return True
        if raw.lower() in ("false", "0", "no", "off"):
            return False
        raise _fail(field, "true or false", echo(raw))
    if base is int:
        try:
            number = float(raw)
        except ValueError:
            raise _fail(field, "a whole number", echo(raw)) from None
        if not math.isfinite(number) or number != int(number):
            raise _fail(field, "a whole number", echo(raw))
        return int(number)
    if base is float:
        try:
            return float(raw)
        except ValueError:
            raise _fail(field, "a number", echo(raw)) from None
    return raw


def _check_value(field: dataclasses.Field, tp: Any, value: Any) -> None:
    spec = spec_of(field)
    base = _base_type(tp)
    if get_origin(tp) is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise _fail(field, f"one of {', '.join(repr(a) for a in allowed)}", _echo_repr(value))
        return
    if base is bool:
        if not isinstance(value, bool):
            raise _fail(field, "true or false", _echo_repr(value))
        return
    if base is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(field, "a whole number", _echo_repr(value))
    elif base is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(field, "a number", _echo_repr(value))
        if not math.isfinite(value):
            raise _fail(field, "a finite number", _echo_repr(value))
    else:
        return
    if spec.min is not None and spec.max is not None:
        if not spec.min <= value <= spec.max:
            raise _fail(field, f"between {spec.min:g} and {spec.max:g}", echo(value))
    elif spec.min is not None and value < spec.min:
        raise _fail(field, f"at least {spec.min:g}", echo(value))
    elif spec.max is not None and value > spec.max:
        raise _fail(field, f"at most {spec.max:g}", echo(value))


def _echo_repr(value: Any) -> str:
    """``repr(value)`` (a value of the wrong type), cut like :func:`echo`."""
    return _clip(repr(value), str, ECHO_CHARS)
