"""Build a page's settings widgets from its config class, and the config from the widgets.

Each field of a :class:`labcore.config.Config` carries a :class:`labcore.config.Spec`; that is
all :func:`config_form` needs. The widget for a field:

- ``bool`` → ``st.toggle``;
- ``Literal[...]`` → ``st.selectbox`` showing the ``choices`` display names, storing the values;
- ``int`` → ``st.slider`` when ``(max − min) / step ≤ 500``, else ``st.number_input``;
- ``float`` with ``log=True`` → ``st.select_slider`` over a 1-2-5 grid (:func:`log_grid`) plus
  the default and the current value (a value off the grid, from a link or a preset, is added
  to the options rather than snapped, so the experiment is reproduced exactly);
- other ``float`` → ``st.slider`` (``st.number_input`` when a bound is missing);
- ``str`` → ``st.text_input``.

Widget keys are ``"<key>.<field>"``; session state holds the form, and values are kept across
page switches (``persist_state="session"``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal, TypeVar, get_args, get_origin

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.config import Config, Spec
from labui.present import settings_container
from labui.state import coerce_value, field_key, read_form_values

C = TypeVar("C", bound=Config)

MAX_SLIDER_STEPS = 500


def format_number(value: float) -> str:
    """Short text for a number: ``0.001`` → ``"0.001"``, ``1e-05`` → ``"1e-5"``, ``2000.0`` →
    ``"2000"``."""
    text = f"{value:g}"
    mantissa, sep, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if sep else text


def log_grid(low: float, high: float) -> list[float]:
    """The 1-2-5 values between ``low`` and ``high``, with both ends included.

    Example:
        >>> log_grid(0.001, 0.03)
        [0.001, 0.002, 0.005, 0.01, 0.02, 0.03]

    Raises:
        ValueError: ``low`` is not positive or ``high`` is below ``low``.
    """
    if not 0 < low <= high:
        raise ValueError(f"A log grid needs 0 < low ≤ high. Got low={low}, high={high}.")
    values = {float(low), float(high)}
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = float(f"{mantissa}e{exponent}")
            if low <= value <= high:
                values.add(value)
    return sorted(values)


def help_text(spec: Spec) -> str:
    """The field's help sentence followed by its allowed range (``"… Allowed: 5 – 2000."``)."""
    if spec.min is not None and spec.max is not None:
        allowed = f"Allowed: {format_number(spec.min)} – {format_number(spec.max)}."
    elif spec.min is not None:
        allowed = f"Allowed: {format_number(spec.min)} or more."
    elif spec.max is not None:
        allowed = f"Allowed: up to {format_number(spec.max)}."
    else:
        return spec.help
    return f"{spec.help} {allowed}".strip()


def _decimals(value: float) -> int:
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return min(10, max(0, -exponent)) if isinstance(exponent, int) else 0


def _float_step(spec: Spec) -> float:
    if spec.step is not None:
        return float(spec.step)
    span = float(spec.max) - float(spec.min)  # type: ignore[arg-type]
    return 10.0 ** math.floor(math.log10(span / 100)) if span > 0 else 1.0


def _ensure_value(cls: type[Config], key: str, name: str, default: Any) -> Any:
    """Make sure session state holds the field in the widget's type; return that value."""
    widget_key = field_key(key, name)
    current = st.session_state.get(widget_key, default)
    value = coerce_value(cls, name, current)
    if widget_key not in st.session_state or type(value) is not type(current):
        st.session_state[widget_key] = value
    return value


def _field_widget(
    cls: type[Config], key: str, name: str, spec: Spec, default: Any, where: DeltaGenerator
) -> None:
    """Create the one widget for field ``name`` (its value lands in session state)."""
    tp = cls.field_type(name)
    value = _ensure_value(cls, key, name, default)
    common: dict[str, Any] = {
        "key": field_key(key, name),
        "help": help_text(spec) or None,
        "persist_state": "session",
    }
    if get_origin(tp) is Literal:
        names = spec.choices or {}
        where.selectbox(
            spec.label,
            list(get_args(tp)),
            format_func=lambda option: str(names.get(option, option)),
            **common,
        )
    elif tp is bool:
        where.toggle(spec.label, **common)
    elif tp is int:
        step = int(spec.step) if spec.step else 1
        low = int(spec.min) if spec.min is not None else None
        high = int(spec.max) if spec.max is not None else None
        if low is not None and high is not None and (high - low) / step <= MAX_SLIDER_STEPS:
            where.slider(spec.label, min_value=low, max_value=high, step=step, **common)
        else:
            where.number_input(spec.label, min_value=low, max_value=high, step=step, **common)
    elif tp is float:
        has_range = spec.min is not None and spec.max is not None
        if spec.log and has_range and spec.min > 0:  # type: ignore[operator]
            options = sorted({*log_grid(spec.min, spec.max), float(default), value})  # type: ignore[arg-type]
            where.select_slider(spec.label, options=options, format_func=format_number, **common)
        elif has_range:
            step = _float_step(spec)
            decimals = max(_decimals(step), _decimals(spec.min))  # type: ignore[arg-type]
            where.slider(
                spec.label,
                min_value=float(spec.min),  # type: ignore[arg-type]
                max_value=float(spec.max),  # type: ignore[arg-type]
                step=step,
                format=f"%.{decimals}f",
                **common,
            )
        else:
            where.number_input(
                spec.label,
                min_value=float(spec.min) if spec.min is not None else None,
                max_value=float(spec.max) if spec.max is not None else None,
                step=float(spec.step) if spec.step is not None else None,
                **common,
            )
    elif tp is str:
        where.text_input(spec.label, **common)
    else:
        raise TypeError(f"config_form has no widget for {cls.__name__}.{name} of type {tp!r}.")


def config_form(
    cls: type[C],
    *,
    key: str,
    hidden: Iterable[str] = (),
    rules: type[Config] | None = None,
    container: DeltaGenerator | None = None,
) -> C:
    """One widget per config field, grouped by ``spec.group``; returns the config they show.

    Groups appear in the order their first field is declared, each under a subheader.
    Hidden fields get no widget and keep their current value (from the URL, a preset, or the
    default); so do the fields the config calls inactive for the form's current values
    (:meth:`labcore.config.Config.inactive_fields`: a control that would change nothing).
    Call :func:`labui.state.init_form_state` first so a link's settings apply.

    Args:
        cls: the page's config class.
        key: the form's key; widget keys are ``f"{key}.{field_name}"``.
        hidden: names of fields to show no widget for (unknown names are ignored).
        rules: the config class whose :meth:`~labcore.config.Config.inactive_fields` decides
            which fields change nothing now (``cls`` by default; a page with views may pass
            the config of the view on screen).
        container: where the widgets go; by default the sidebar, or in presentation mode
            one row above the charts (:func:`labui.present.settings_container`).

    Returns:
        The config built from the widgets' values.

    Raises:
        ValueError: the values break a rule of the config (shown by :func:`labui.guard`).
    """
    hidden = frozenset(hidden) | (rules or cls).inactive_fields(read_form_values(cls, key))
    container = container if container is not None else settings_container()
    defaults = cls()
    specs = cls.field_specs()
    groups: dict[str, list[str]] = {}
    for name, spec in specs.items():
        if name in hidden:
            _ensure_value(cls, key, name, getattr(defaults, name))
        else:
            groups.setdefault(spec.group, []).append(name)
    for group, names in groups.items():
        container.subheader(group)
        for name in names:
            _field_widget(cls, key, name, specs[name], getattr(defaults, name), container)
    values = {f.name: st.session_state[field_key(key, f.name)] for f in dataclasses.fields(cls)}
    return cls(**values)
