"""Classroom helpers: a teacher link that hides controls, and predict-then-reveal prompts."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.config import Config
from labui.shell import lazy_expander
from labui.state import HIDE_PARAM, hidden_fields

QUIZ_PARAM = "quiz"
PRESET_CONTROL = "preset"


def teacher_link(config: Config, *, key: str, container: DeltaGenerator = st.sidebar) -> None:
    """An expander that builds a link to this page with these settings and some controls hidden.

    The link carries the page's current settings (already in the URL, see
    :func:`labui.state.sync_url`), ``hide=`` with the chosen controls, and ``quiz=1`` when
    students should predict before they see a result.
    """
    specs = type(config).field_specs()
    options = [PRESET_CONTROL, *specs]
    labels = {PRESET_CONTROL: "Preset picker", **{n: s.label for n, s in specs.items()}}

    def link_builder() -> None:
        hide = st.multiselect(
            "Controls to hide from students", options, format_func=labels.get,
            default=[n for n in options if n in hidden_fields()], key=f"{key}.teacher.hide",
            help="Students who open the link see the page with these settings, without these "
            "controls.",
        )
        quiz = st.toggle("Ask students to predict before a result is shown",
                         value=quiz_mode(), key=f"{key}.teacher.quiz")
        query = {k: v for k, v in st.query_params.to_dict().items()
                 if k not in (HIDE_PARAM, QUIZ_PARAM)}
        if hide:
            query[HIDE_PARAM] = ",".join(hide)
        if quiz:
            query[QUIZ_PARAM] = "1"
        base = str(st.context.url or "").split("?")[0]
        st.code(f"{base}?{urlencode(query, safe=',')}" if query else base, language=None)
        st.caption("Copy the link (icon at the top right of the box) and share it.")

    # Built only while open: every student's browser would otherwise render the code box.
    lazy_expander("Teacher link", link_builder, key=f"{key}.teacher", container=container)


def quiz_mode() -> bool:
    """Whether the link asks students to predict before results are shown (``?quiz=1``)."""
    return st.query_params.get(QUIZ_PARAM) == "1"


def predict_then_reveal(question: str, options: Sequence[str], *, key: str,
                        explanation: str) -> bool:
    """In quiz mode, ask ``question`` and hold the result back until the student commits.

    Outside quiz mode this returns True at once (show the result).

    Args:
        question: what to predict, e.g. "Will adding points here shrink the band?".
        options: the possible answers.
        key: widget key prefix (one prompt per key).
        explanation: shown after the reveal, whatever the answer.

    Returns:
        Whether the result may be shown now.
    """
    if not quiz_mode():
        return True
    revealed_key = f"{key}.revealed"
    with st.container(border=True):
        st.markdown(f"**Predict first:** {question}")
        answer = st.radio("Your prediction", list(options), index=None, key=f"{key}.answer",
                          label_visibility="collapsed",
                          disabled=st.session_state.get(revealed_key, False))
        if not st.session_state.get(revealed_key, False):
            if st.button("Reveal", key=f"{key}.reveal", disabled=answer is None,
                         help="Choose an answer first."):
                st.session_state[revealed_key] = True
                st.rerun()
            return False
        st.markdown(f"You predicted: *{answer}*. {explanation}")
        if st.button("Ask again", key=f"{key}.again"):
            st.session_state[revealed_key] = False
            st.session_state.pop(f"{key}.answer", None)
            st.rerun()
    return True
