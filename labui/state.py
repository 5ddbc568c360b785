"""A page's settings in session state and in the URL, so a link reproduces an experiment.

The settings form of a page lives in ``st.session_state`` under ``"<key>.<field name>"`` (the
widget keys of :func:`labui.widgets.config_form`). The URL holds the same settings as text:

- ``?preset=<name>`` (optional) names the starting point, a preset of the page;
- ``?<field>=<value>`` for every field whose value differs from that starting point (the
  preset, or the config's defaults when there is no preset);
- ``?hide=a,b`` lists fields whose widgets a teacher's link hides (see :func:`hidden_fields`).

A page calls :func:`init_form_state` before it creates widgets and :func:`sync_url` once it has
a valid config. URL values are read with ``Config.from_strings``: the same limits as the
widgets. A bad value shows an error naming the parameter and falls back to the starting point
for that field; it never raises.

Log-scale widgets show a 1-2-5 grid. A URL or preset value that is not on the grid is added to
the widget's options as it is (not snapped), so a link reproduces the experiment exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, get_origin

import streamlit as st

from labcore.config import Config, FieldError, echo
from labui.errors import escape_markdown

PRESET_PARAM = "preset"
HIDE_PARAM = "hide"


def field_key(key: str, name: str) -> str:
    """The session-state (and widget) key of field ``name`` in the form ``key``."""
    return f"{key}.{name}"


def _type_id(cls: type[Config]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _marker_key(cls: type[Config]) -> str:
    """Where a session keeps the config part of the URL it last read or wrote."""
    return f"_labui.url.{_type_id(cls)}"


def _presets_key(cls: type[Config]) -> str:
    return f"_labui.presets.{_type_id(cls)}"


def coerce_value(cls: type[Config], name: str, value: Any) -> Any:
    """``value`` in the Python type the field's widget returns (``1`` → ``1.0`` for floats)."""
    tp = cls.field_type(name)
    if get_origin(tp) is not None or isinstance(value, bool):
        return value
    if tp is float and isinstance(value, int):
        return float(value)
    if tp is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_form_values(cls: type[Config], key: str, config: Config) -> None:
    """Put every field of ``config`` into the form's session-state keys.

    Call it before the form's widgets are created in this run (or from a widget callback).
    """
    for name, value in config.to_dict().items():
        st.session_state[field_key(key, name)] = coerce_value(cls, name, value)


def read_form_values(cls: type[Config], key: str) -> dict[str, Any]:
    """Field name → the form's current value in session state (the default where unset)."""
    defaults = cls()
    return {
        f.name: st.session_state.get(field_key(key, f.name), getattr(defaults, f.name))
        for f in dataclasses.fields(cls)
    }


def _url_params(cls: type[Config]) -> dict[str, str]:
    """The part of the current URL that describes a ``cls`` config (fields and preset)."""
    names = [f.name for f in dataclasses.fields(cls)] + [PRESET_PARAM]
    return {name: st.query_params[name] for name in names if name in st.query_params}


def _registered_presets(cls: type[Config]) -> Mapping[str, Config]:
    return st.session_state.get(_presets_key(cls), {})


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _read_url(
    cls: type[Config], params: Mapping[str, str], presets: Mapping[str, Config]
) -> Config:
    """The config a URL describes; every unusable part is reported with ``st.error`` and skipped.

    Args:
        cls: the config class.
        params: the URL's field values and optional preset name, as text.
        presets: the page's presets by name.
    """
    base = cls()
    starting_point = "default"
    preset_name = params.get(PRESET_PARAM)
    if preset_name is not None:
        if preset_name in presets:
            base = presets[preset_name]
            starting_point = "preset"
        else:
            allowed = ", ".join(repr(name) for name in presets) or "none on this page"
            st.error(
                escape_markdown(
                    f"Ignored the link's preset. Preset (preset) must be one of {allowed}. "
                    f"Got {echo(preset_name, 80)}."
                )
            )
    remaining = {name: text for name, text in params.items() if name != PRESET_PARAM}
    while True:
        try:
            return cls.from_strings(remaining, base=base)
        except ValueError as exc:
            field = exc.field if isinstance(exc, FieldError) else None
            if field not in remaining:  # a rule across fields: the link as a whole fails
                st.error(
                    escape_markdown(f"Ignored the link's settings. {exc}")
                    + f" Using the {starting_point} settings instead."
                )
                return base
            del remaining[field]
            fallback = escape_markdown(_text(getattr(base, field)))
            using = (f"Using the {starting_point} value, {fallback}, instead." if fallback
                     else f"Left it empty, as the {starting_point} settings have it.")
            st.error(
                f"Ignored the link's value for `{field}`. {escape_markdown(str(exc))} {using}"
            )


def init_form_state(
    cls: type[Config], *, key: str, presets: Mapping[str, Config] | None = None
) -> None:
    """Load the form's settings from the URL on a session's first run or when the URL changed.

    The URL is read when this session has not read or written it for ``cls`` yet, or when its
    config parameters differ from what this session last wrote (another link was opened in
    the same session). A URL without config parameters after the first run (the user came
    back from another page) keeps the session's settings. Call before any widget of the form.

    Args:
        cls: the page's config class.
        key: the form's key, as passed to :func:`labui.widgets.config_form`.
        presets: the page's presets by name; ``?preset=<name>`` starts from one of them.
    """
    if presets is not None:
        st.session_state[_presets_key(cls)] = dict(presets)
    params = _url_params(cls)
    last = st.session_state.get(_marker_key(cls))
    if last is None or (params and params != last):
        config = _read_url(cls, params, _registered_presets(cls))
        write_form_values(cls, key, config)
        st.session_state[_marker_key(cls)] = params


def write_url(config: Config, *, preset: str | None = None, base: Config | None = None) -> None:
    """Make the URL describe ``config``: ``preset`` plus the fields that differ from ``base``.

    Args:
        config: the settings to describe.
        preset: the preset name to put in the URL, or None to remove it.
        base: the config the URL starts from (the preset's); None means the defaults.
    """
    reference = base if base is not None else type(config)()
    query = st.query_params
    for name, text in config.to_strings().items():
        if getattr(config, name) != getattr(reference, name):
            if query.get(name) != text:
                query[name] = text
        elif name in query:
            del query[name]
    if preset is None:
        if PRESET_PARAM in query:
            del query[PRESET_PARAM]
    elif query.get(PRESET_PARAM) != preset:
        query[PRESET_PARAM] = preset
    st.session_state[_marker_key(type(config))] = _url_params(type(config))


def sync_url(config: Config, *, presets: Mapping[str, Config] | None = None) -> None:
    """Write ``config`` to the URL: only the settings that differ from the starting point.

    The starting point is the preset the URL names (if the page has it) or the defaults.
    Parameters that returned to the starting point are removed; other query parameters
    (``hide``, another page's) are kept.

    Args:
        config: the page's current, valid config.
        presets: the page's presets; by default the ones given to :func:`init_form_state`.
    """
    known = presets if presets is not None else _registered_presets(type(config))
    name = st.query_params.get(PRESET_PARAM)
    if name is not None and name in known:
        write_url(config, preset=name, base=known[name])
    else:
        write_url(config)


def hidden_fields() -> frozenset[str]:
    """Field names a link hides: ``?hide=n_points,seed`` → ``{"n_points", "seed"}``."""
    names: set[str] = set()
    for raw in st.query_params.get_all(HIDE_PARAM):
        names.update(part.strip() for part in raw.split(",") if part.strip())
    return frozenset(names)


def rerun_page() -> None:
    """Run the whole page next: the last line of a widget callback that changed the page's
    settings (or its A, :mod:`labui.whatif`).

    A control inside a view belongs to the view's fragment (:func:`labui.page.draw_view`), and
    a fragment's control reruns the fragment alone: the settings form, the URL's settings and
    the result the view draws would stay as they were. Outside a view it changes nothing (a
    control there reruns the whole page anyway).
    """
    st.rerun()
