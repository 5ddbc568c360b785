"""Classroom helpers: a teacher link that hides controls, and predict-then-reveal prompts."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.config import Config
from labui.cache.rooms import RoomUnavailable
from labui.present import PRESENT_PARAM, presenting
from labui.rooms import (
    HOST_PARAM,
    ROOM_PARAM,
    UNAVAILABLE,
    host_poll,
    link_room,
    open_room,
    student_poll,
)
from labui.shell import lazy_expander
from labui.state import HIDE_PARAM, hidden_fields
from labui.upload import using_upload

QUIZ_PARAM = "quiz"
PRESET_CONTROL = "preset"
UPLOAD_NOTE = ("This page trains on your uploaded file, and the link does not carry it: students "
               "who open the link see the generated data with these settings. To train on the "
               "file, each student must upload it themselves (Data → My CSV file).")
"""What the teacher link says when the page's data is an uploaded file."""


def teacher_link(config: Config, *, key: str, container: DeltaGenerator = st.sidebar) -> None:
    """An expander that builds a link to this page with these settings and some controls hidden.

    The link carries the page's current settings (already in the URL, see
    :func:`labui.state.sync_url`), ``hide=`` with the chosen controls, ``quiz=1`` when
    students should predict before they see a result, and ``present=1`` for a projector
    (:mod:`labui.present`: the controls left visible appear in one row above the charts).
    It never carries an uploaded file: when the page trains on one (the "Data" choice of
    :func:`labui.upload.data_source` under the same ``key``), the box says so.

    With "Open a class poll", the students' link also carries ``room=`` (a room opened for
    this session, :func:`labui.rooms.open_room`, and always ``quiz=1``), and a second link,
    the teacher's own, adds ``present=1`` and the room's host key: that page shows the class's
    answers live and the Reveal to all button (:mod:`labui.rooms`).
    """
    specs = type(config).field_specs()
    options = [PRESET_CONTROL, *specs]
    labels = {PRESET_CONTROL: "Preset picker", **{n: s.label for n, s in specs.items()}}

    def link_builder() -> None:
        if using_upload(key):
            st.warning(UPLOAD_NOTE)
        hide = st.multiselect(
            "Controls to hide from students", options, format_func=labels.get,
            default=[n for n in options if n in hidden_fields()], key=f"{key}.teacher.hide",
            help="Students who open the link see the page with these settings, without these "
            "controls.",
        )
        quiz = st.toggle("Ask students to predict before a result is shown",
                         value=quiz_mode(), key=f"{key}.teacher.quiz")
        show = st.toggle("Open in presentation mode", value=presenting(),
                         key=f"{key}.teacher.present",
                         help="For the projector: the controls not hidden above in one row, "
                         "larger text, the sidebar collapsed.")
        poll = st.toggle("Open a class poll", key=f"{key}.teacher.room",
                         help="Students answer the quiz on their own devices, anonymously; "
                         "your projector's link shows their answers live and reveals the "
                         "answer to everyone at once. Turns the quiz on.")
        room = open_room() if poll else None
        query = {k: v for k, v in st.query_params.to_dict().items()
                 if k not in (HIDE_PARAM, QUIZ_PARAM, PRESENT_PARAM, ROOM_PARAM, HOST_PARAM)}
        if hide:
            query[HIDE_PARAM] = ",".join(hide)
        if quiz or room:
            query[QUIZ_PARAM] = "1"
        if show:
            query[PRESENT_PARAM] = "1"
        if room:
            query[ROOM_PARAM] = room[0]
        base = str(st.context.url or "").split("?")[0]
        # Wrapped: the sidebar is narrower than any link, and a code box that scrolls sideways
        # shows only its start.
        st.code(f"{base}?{urlencode(query, safe=',')}" if query else base, language=None,
                wrap_lines=True)
        st.caption("Copy the link (icon at the top right of the box) and share it.")
        if room:
            host = {**query, PRESENT_PARAM: "1", HOST_PARAM: room[1]}
            st.code(f"{base}?{urlencode(host, safe=',')}", language=None, wrap_lines=True)
            st.caption(f"Room {room[0]}: open this second link on your projector, and keep it "
                       "to yourself: it shows the class's answers live and reveals the answer "
                       "to everyone.")

    # Built only while open: every student's browser would otherwise render the code box.
    lazy_expander("Teacher link", link_builder, key=f"{key}.teacher", container=container)


def teacher_link_open(key: str) -> bool:
    """Whether the teacher link of the page ``key`` is open: its link is built from the URL on
    a run of the whole page, so while it is open a view's control must run the whole page
    (:func:`labui.page.draw_view`) for the link to follow it."""
    return bool(st.session_state.get(f"{key}.teacher"))


def quiz_mode() -> bool:
    """Whether the link asks students to predict before results are shown (``?quiz=1``)."""
    return st.query_params.get(QUIZ_PARAM) == "1"


@dataclasses.dataclass(frozen=True)
class Quiz:
    """A predict-then-reveal question.

    Attributes:
        key: widget key prefix; views that would give the answer away share one quiz (key).
        question: what to predict, e.g. "Which band gets narrower?".
        options: the possible answers.
        correct: the right one (one of ``options``).
        explanation: why, shown after the reveal whatever the answer.
    """

    key: str
    question: str
    options: tuple[str, ...]
    correct: str
    explanation: str

    def __post_init__(self) -> None:
        if self.correct not in self.options:
            raise ValueError(f"The correct answer must be one of the options {self.options}. "
                             f"Got {self.correct!r}.")


def predict_then_reveal(quiz: Quiz) -> bool:
    """In quiz mode, ask the question and hold the result back until the student commits.

    Outside quiz mode this returns True at once (show the result). After Reveal the student
    sees ✓ or ✗ with the right answer and the explanation; the answer stays revealed in every
    view that shares the quiz.

    In a class poll's room (``?room=``, :mod:`labui.rooms`) the answer is counted for the class
    and the teacher reveals it to everyone: the student's page waits for that, and the
    teacher's page (its link's host key) shows the live count and Reveal to all instead of the
    question's buttons.

    Returns:
        Whether the result may be shown now.
    """
    if not quiz_mode():
        return True
    revealed_key = f"{quiz.key}.revealed"
    revealed = st.session_state.get(revealed_key, False)
    with st.container(border=True):
        st.markdown(f"**Predict first:** {quiz.question}")
        room = link_room()
        if room is not None:
            try:
                return host_poll(quiz, room) if room.host else student_poll(quiz, room)
            except RoomUnavailable:
                st.warning(UNAVAILABLE)
        answer = st.radio("Your prediction", list(quiz.options), index=None,
                          key=f"{quiz.key}.answer", label_visibility="collapsed",
                          disabled=revealed, persist_state="session")
        if not revealed:
            if st.button("Reveal", key=f"{quiz.key}.reveal", disabled=answer is None,
                         help="Choose an answer first.", type="primary"):
                st.session_state[revealed_key] = True
                st.rerun()
            st.caption("The result appears once you have chosen an answer and pressed Reveal.")
            return False
        show_feedback(quiz, answer)
        if st.button("Ask again", key=f"{quiz.key}.again"):
            st.session_state[revealed_key] = False
            st.session_state.pop(f"{quiz.key}.answer", None)
            st.rerun()
    return True


def show_feedback(quiz: Quiz, answer: str | None) -> None:
    """After the reveal: ✓ or ✗ for ``answer`` (None: not answered), the answer, and why."""
    if answer is None:
        st.info(f"The answer is *{quiz.correct}*. {quiz.explanation}")
    elif answer == quiz.correct:
        st.success(f"✓ Right: *{quiz.correct}*. {quiz.explanation}")
    else:
        st.error(f"✗ Not quite — you said *{answer}*; the answer is *{quiz.correct}*. "
                 f"{quiz.explanation}")
