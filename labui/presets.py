"""A "Preset" select box that fills a page's settings form with a ready-made experiment."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.config import Config
from labui.state import (
    PRESET_PARAM,
    hidden_fields,
    read_form_values,
    write_form_values,
    write_url,
)

CUSTOM = ""  # the option meaning "no preset"; shown as "Custom"


def _picker_key(key: str) -> str:
    return f"{key}._preset"


def _apply_choice(cls: type[Config], presets: Mapping[str, Config], key: str) -> None:
    """on_change of the picker: copy the chosen preset into the form and the URL.

    Runs before the script, so it may set the form's widget keys. Choosing "Custom" keeps the
    form as it is and describes it in the URL without a preset.
    """
    choice = st.session_state[_picker_key(key)]
    if choice:
        config = presets[choice]
        write_form_values(cls, key, config)
        write_url(config, preset=choice, base=config)
        return
    try:
        config = cls(**read_form_values(cls, key))
    except ValueError:  # the form breaks a rule; the page shows it, and syncs the URL later
        config = cls()
    write_url(config)


def preset_picker(
    presets: Mapping[str, Config], *, key: str, container: DeltaGenerator = st.sidebar
) -> str | None:
    """A "Preset" select box ("Custom" plus each preset) for the form ``key``.

    Choosing a preset writes its values into the form's session-state keys and sets
    ``?preset=<name>`` in the URL. The box shows the preset the URL names; when the form has
    been changed since, a caption lists the changed settings. A link with ``hide=preset``
    hides the box.

    Args:
        presets: display name → config; all of the page's config class.
        key: the form's key, as passed to :func:`labui.widgets.config_form`.
        container: where the box goes (the sidebar by default).

    Returns:
        The name of the preset the settings start from, or None for "Custom".
    """
    if not presets:
        return None
    cls = type(next(iter(presets.values())))
    named = st.query_params.get(PRESET_PARAM)
    selected = named if named in presets else CUSTOM
    if PRESET_PARAM in hidden_fields():
        return selected or None
    picker_key = _picker_key(key)
    if st.session_state.get(picker_key) != selected:
        st.session_state[picker_key] = selected
    container.selectbox(
        "Preset",
        [CUSTOM, *presets],
        key=picker_key,
        format_func=lambda name: name or "Custom",
        on_change=_apply_choice,
        args=(cls, presets, key),
        help="Start from a ready-made experiment, then change any setting below.",
    )
    if selected:
        current = read_form_values(cls, key)
        start = presets[selected].to_dict()
        specs = cls.field_specs()
        changed = [specs[name].label for name, value in current.items() if value != start[name]]
        if changed:
            container.caption(f"Changed from the preset: {', '.join(changed)}.")
    return selected or None
