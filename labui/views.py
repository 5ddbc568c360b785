"""View controls whose choice lives in the URL: tabs, pills, a slider, a sample index.

A config's fields reach the URL through :mod:`labui.state`; these are the other choices a
person makes on a page — which view, which bands, which corruption, which temperature. Each
is one query parameter (``?view=bands``), written only when it differs from the default, so a
copied link (and a teacher link) opens the page exactly as it was seen.

A control is read from the URL on a session's first run and whenever the URL's value changes
(another link opened in the same tab); otherwise the session's own choice stands. A value the
control cannot take shows an error naming the parameter and falls back to the default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.config import echo
from labui.errors import escape_markdown

_UNSET = object()
Kind = Literal["segmented", "pills", "selectbox", "radio"]


def _range_key(key: str) -> str:
    return f"_labui.range.{key}"


def _marker(param: str) -> str:
    return f"_labui.view.{param}"


def _write(param: str, text: str | None) -> None:
    """Put ``?param=text`` in the URL (remove it for None) and remember what was written."""
    if text is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != text:
        st.query_params[param] = text
    st.session_state[_marker(param)] = text


def _load(key: str, param: str, default: Any, parse: Callable[[str], Any]) -> None:
    """Set the widget's state from the URL when this session has not seen this URL value yet."""
    text = st.query_params.get(param)
    seen = st.session_state.get(_marker(param), _UNSET)
    # Keep the session's choice when this URL value was seen already, or when the URL has no
    # value after the first run (the person came back from another page).
    if key in st.session_state and (seen == text or (text is None and seen is not _UNSET)):
        return
    value = default
    if text is not None:
        try:
            value = parse(text)
        except ValueError as exc:
            st.error(f"Ignored the link's value for `{param}`. {escape_markdown(str(exc))}")
    st.session_state[key] = value
    st.session_state[_marker(param)] = text


def _option_parser(options: Sequence[str], param: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            allowed = ", ".join(repr(o) for o in options)
            raise ValueError(f"{param} must be one of {allowed}. Got {echo(text)}.")
        return text

    return parse


def choice(
    label: str,
    options: Sequence[str],
    *,
    key: str,
    param: str,
    default: str | None = None,
    kind: Kind = "segmented",
    format_func: Callable[[str], str] | None = None,
    container: DeltaGenerator | None = None,
    **kwargs: Any,
) -> str:
    """One choice among ``options`` (tabs, a select box or radio buttons), kept in ``?param=``.

    Args:
        label: the control's label.
        options: the values (short words: they appear in the URL).
        key: the widget key.
        param: the query parameter.
        default: the value with no parameter in the URL (the first option when None).
        kind: which Streamlit control draws it.
        format_func: display text of an option.
        container: where it goes (the main area when None).
        **kwargs: passed to the Streamlit control (``help``, ``label_visibility``…).

    Returns:
        The chosen option (never None: clearing a segmented control falls back to the default).
    """
    default = options[0] if default is None else default
    _load(key, param, default, _option_parser(options, param))
    where = container or st
    widget = {"segmented": where.segmented_control, "pills": where.pills,
              "selectbox": where.selectbox, "radio": where.radio}[kind]
    extra = {"format_func": format_func} if format_func else {}
    value = widget(label, list(options), key=key, persist_state="session", **extra, **kwargs)
    value = default if value is None else value
    _write(param, None if value == default else value)
    return value


def multi_choice(
    label: str,
    options: Sequence[str],
    *,
    key: str,
    param: str,
    default: Sequence[str],
    format_func: Callable[[str], str] | None = None,
    kind: Literal["pills", "multiselect"] = "pills",
    container: DeltaGenerator | None = None,
    **kwargs: Any,
) -> list[str]:
    """Several of ``options`` (pills or a multiselect), kept in ``?param=a,b`` (``?param=`` for
    none).

    Returns:
        The chosen options in the order of ``options``.
    """

    def parse(text: str) -> list[str]:
        picked = [part for part in text.split(",") if part]
        unknown = [p for p in picked if p not in options]
        if unknown:
            allowed = ", ".join(repr(o) for o in options)
            raise ValueError(f"{param} must list some of {allowed}. Got {echo(unknown[0])}.")
        return [o for o in options if o in picked]

    _load(key, param, list(default), parse)
    extra = {"format_func": format_func} if format_func else {}
    where = container or st
    if kind == "pills":
        extra["selection_mode"] = "multi"
    widget = where.pills if kind == "pills" else where.multiselect
    value = widget(label, list(options), key=key, persist_state="session", **extra,
                   **kwargs) or []
    chosen = [o for o in options if o in value]
    _write(param, None if chosen == [o for o in options if o in default] else ",".join(chosen))
    return chosen


def number(
    label: str,
    *,
    key: str,
    param: str,
    default: float | int,
    min_value: float | int,
    max_value: float | int,
    step: float | int,
    kind: Literal["slider", "number_input"] = "slider",
    container: DeltaGenerator | None = None,
    **kwargs: Any,
) -> Any:
    """A number in [min_value, max_value], kept in ``?param=`` (its default is not written).

    Integers stay integers: pass int bounds and step for a whole number.

    Returns:
        The number shown.
    """
    whole = all(isinstance(v, int) for v in (default, min_value, max_value, step))

    def parse(text: str) -> float | int:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{param} must be a number. Got {echo(text)}.") from None
        if whole:
            if not value.is_integer():
                raise ValueError(f"{param} must be a whole number. Got {echo(text)}.")
            value = int(value)
        if not min_value <= value <= max_value:
            raise ValueError(f"{param} must be between {min_value:g} and {max_value:g}. "
                             f"Got {echo(text, quote=False)}.")
        return value

    current = st.session_state.get(key)
    if current is not None and not min_value <= current <= max_value:
        st.session_state[key] = default  # the range changed (another data set): start over
    _load(key, param, default, parse)
    if st.session_state.get(_range_key(key)) != (min_value, max_value, step):
        # Another range is another widget to Streamlit, which would start it at its minimum
        # (while the URL and the charts read that, the old slider could still show its
        # value): hand the new widget the value explicitly.
        st.session_state[_range_key(key)] = (min_value, max_value, step)
        st.session_state[key] = st.session_state[key]
    where = container or st
    widget = where.slider if kind == "slider" else where.number_input
    value = widget(label, min_value=min_value, max_value=max_value, step=step, key=key,
                   persist_state="session", **kwargs)
    _write(param, None if value == default else f"{value:g}")
    return value


def flag_value(*, key: str, param: str, default: bool = False) -> bool:
    """What :func:`flag` with this ``key`` and ``param`` shows on this run, known before it is
    drawn (from the URL on a session's first run, else the session's choice)."""

    def parse(text: str) -> bool:
        if text not in ("0", "1"):
            raise ValueError(f"{param} must be 0 or 1. Got {echo(text)}.")
        return text == "1"

    _load(key, param, default, parse)
    return bool(st.session_state[key])


def flag(label: str, *, key: str, param: str, default: bool = False, **kwargs: Any) -> bool:
    """A toggle kept in ``?param=1`` / ``?param=0`` (nothing when it is at its default).

    Returns:
        Whether the toggle is on.
    """
    flag_value(key=key, param=param, default=default)
    value = bool(st.toggle(label, key=key, persist_state="session", **kwargs))
    _write(param, None if value == default else str(int(value)))
    return value
