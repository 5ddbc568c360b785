"""Class poll: a quiz answered by the whole class, counted live on the teacher's projector.

A teacher link can open a **room** (:func:`open_room`): a short code in the students' link
(``?room=k7q2m``) and, in the teacher's own link, the code plus a host key (``&host=…``, an
HMAC of the code: :meth:`labui.cache.rooms.RoomStore.host_key`). Then, for each quiz
(:func:`labui.teacher.predict_then_reveal`):

- a student (:func:`student_poll`) answers as without a room; the answer counts anonymously in
  the room, once per browser, and can change until the teacher reveals. The page then waits,
  checking the room every :data:`STUDENT_POLL_S` seconds in a fragment, and shows the answer
  and the class's guesses against the truth once the teacher has revealed them;
- the teacher (:func:`host_poll`) sees the answers as a bar chart that a fragment redraws
  every :data:`TEACHER_POLL_S` seconds (the page's training does not rerun), without the right
  answer marked, and a **Reveal to all** button.

A browser is told apart by the token of Streamlit's XSRF cookie (the same in every tab and
after a reload; only that browser and the server know it), or, where there is no such cookie,
by a random id kept in the session (a reload is then a new voter). Either way only an HMAC of
it reaches the store. A room code that is malformed, unknown or expired, or a store that cannot
be reached, leaves the student with the plain quiz and a line saying why (the code shown as
text).
"""

from __future__ import annotations

import binascii
import dataclasses
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import streamlit as st

from labcore.plots import palette
from labui.cache import rooms_from_environment
from labui.cache.rooms import (
    MAX_VOTES,
    ROOM_TTL_S,
    RoomStore,
    RoomUnavailable,
    new_code,
    valid_code,
)
from labui.errors import escape_markdown
from labui.figures import show_figure

if TYPE_CHECKING:
    from labui.teacher import Quiz

ROOM_PARAM = "room"
HOST_PARAM = "host"
TEACHER_POLL_S = 1.0  # the teacher's chart is redrawn this often
STUDENT_POLL_S = 2.0  # a waiting student's page asks whether the answer is out this often
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's own, set on the first page load
VOTER_KEY = "_labui.rooms.voter"  # the session's random voter id where there is no cookie
OPENED_KEY = "_labui.rooms.opened"  # the room this session's teacher link opened
MAX_CODE_SHOWN = 40  # characters of a bad room code repeated on screen
UNAVAILABLE = ("The class poll cannot be reached right now: you answer on your own, as "
               "without a room.")
FULL = (f"This room already counts {MAX_VOTES} answers, its limit: yours is not counted, but "
        "you will see the answer when your teacher reveals it.")


@dataclasses.dataclass(frozen=True)
class Room:
    """The room of this page's link: its code, and whether this page hosts it (the teacher)."""

    code: str
    host: bool


@st.cache_resource(show_spinner=False)
def room_store() -> RoomStore:
    """This process's room store (:func:`labui.cache.rooms_from_environment`), made once."""
    return rooms_from_environment()


def open_room() -> tuple[str, str] | None:
    """A room for this session's teacher link, opened once: (code, host key), or None.

    Returns None (after a warning) when the store cannot be reached or holds too many rooms.
    """
    store = room_store()
    code = st.session_state.get(OPENED_KEY)
    try:
        if code is None or not store.is_open(code):
            code = new_code()
            while not store.open(code):  # taken by another class: draw again
                code = new_code()
            st.session_state[OPENED_KEY] = code
        return code, store.host_key(code)
    except RoomUnavailable as exc:
        st.warning(f"No room could be opened: {escape_markdown(str(exc))}")
        return None


def link_room() -> Room | None:
    """The room named by this page's link (``?room=``), when it is open, else None.

    A host link (``?host=`` with the code's key) opens its room again if it has expired or the
    server restarted. A code that is malformed or not open gets one caption, the code shown as
    text; a store that cannot be reached, a warning.
    """
    code = st.query_params.get(ROOM_PARAM)
    if code is None:
        return None
    shown = escape_markdown(code[:MAX_CODE_SHOWN] + ("…" if len(code) > MAX_CODE_SHOWN else ""))
    if not valid_code(code):
        st.caption(f"This link's room code ({shown}) is not a room code: you answer on your "
                   "own.")
        return None
    store = room_store()
    try:
        host = hmac.compare_digest(st.query_params.get(HOST_PARAM, "").encode(),
                                   store.host_key(code).encode())
        if host:
            store.open(code)
        elif not store.is_open(code):
            st.caption(f"Room {shown} is not open (a room closes {ROOM_TTL_S // 3600} hours "
                       "after it opens): you answer on your own.")
            return None
    except RoomUnavailable:
        st.warning(UNAVAILABLE)
        return None
    return Room(code, host)


def _browser_token(cookie: str | None) -> bytes | None:
    """The token inside Streamlit's XSRF cookie (``2|mask|masked token|time``), unmasked: the
    cookie's text changes on every page load, its token not."""
    parts = (cookie or "").strip("\"'").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
    except (binascii.Error, ValueError):
        return None
    if len(mask) != 4 or len(masked) < 16:
        return None
    return bytes(b ^ mask[i % 4] for i, b in enumerate(masked))


def voter_id() -> str:
    """This browser's voter id: its XSRF token, else a random id kept in the session."""
    token = _browser_token(st.context.cookies.get(XSRF_COOKIE))
    if token is not None:
        return "browser:" + token.hex()
    if VOTER_KEY not in st.session_state:
        st.session_state[VOTER_KEY] = secrets.token_urlsafe(18)
    return "session:" + st.session_state[VOTER_KEY]


def poll_figure(quiz: Quiz, counts: Mapping[int, int], *, truth: bool,
                mine: str | None = None) -> go.Figure:
    """The class's answers as horizontal bars, one per option, in the quiz's order.

    Args:
        quiz: the question and its options.
        counts: voters per option index.
        truth: mark the right answer (green, "✓") and the others grey; False (before the
            reveal) draws every bar in one colour.
        mine: this student's answer, labelled "(you)".
    """
    total = sum(counts.values())
    labels, values, colours, texts = [], [], [], []
    for index, option in enumerate(quiz.options):
        count = counts.get(index, 0)
        right = truth and option == quiz.correct
        labels.append(("✓ " if right else "") + option + (" (you)" if option == mine else ""))
        values.append(count)
        colours.append((palette.BLUISH_GREEN if right else palette.GREY) if truth
                       else palette.BLUE)
        texts.append(f"{count} ({count / total:.0%})" if total else "0")
    # Short: the title must fit a 390 px phone beside the chart's toolbar
    title = f"Class vs truth: {total} answers" if truth else f"Class answers so far: {total}"
    bars = {"type": "bar", "orientation": "h", "x": values, "y": labels, "text": texts,
            "textposition": "auto", "marker": {"color": colours}, "name": "answers",
            "hovertemplate": "%{y}: %{x}<extra></extra>"}
    layout = {"template": "plotly_white", "title": {"text": title},
              "xaxis": {"title": {"text": "students"}, "rangemode": "tozero", "dtick": 1
                        if total <= 10 else None},
              "yaxis": {"autorange": "reversed", "automargin": True},
              "height": 120 + 48 * len(quiz.options), "margin": {"t": 50, "b": 40},
              "showlegend": False}
    return go.Figure(data=[bars], layout=layout)


def student_poll(quiz: Quiz, room: Room) -> bool:
    """A student's quiz in a room: answer (counted), wait for the reveal, then the class chart.

    Raises:
        RoomUnavailable: the store cannot be reached before anything is drawn (the caller
            falls back to the plain quiz).

    Returns:
        Whether the result may be shown now (the teacher has revealed).
    """
    store, voter = room_store(), voter_id()
    answer_key, voted_key = f"{quiz.key}.answer", f"{quiz.key}.voted.{room.code}"
    revealed = store.revealed(room.code, quiz.key)
    if answer_key not in st.session_state:  # a reload, or another tab: the answer it gave
        mine = store.choice(room.code, quiz.key, voter)
        if mine is not None and mine < len(quiz.options):
            st.session_state[answer_key] = quiz.options[mine]
            st.session_state[voted_key] = (quiz.options[mine], "counted")
    answer = st.radio("Your prediction", list(quiz.options), index=None, key=answer_key,
                      label_visibility="collapsed", disabled=revealed, persist_state="session")
    if revealed:
        return _student_revealed(quiz, room, answer)
    outcome = None
    if answer is not None:
        answered, outcome = st.session_state.get(voted_key, (None, None))
        if answered != answer:
            try:
                outcome = store.vote(room.code, quiz.key, voter, quiz.options.index(answer))
            except RoomUnavailable:
                outcome = "unavailable"
            st.session_state[voted_key] = (answer, outcome)
            if outcome == "revealed":
                st.rerun()
    if outcome == "full":
        st.warning(FULL)
    elif outcome == "unavailable":
        st.warning("Your answer could not reach the class poll; choose it again in a moment.")
    elif outcome == "closed":
        st.caption("This room has closed: your answer is not counted.")
    st.caption(f"Class poll, room {room.code}: your answer counts anonymously, and you can "
               "change it until your teacher reveals the answer.")
    _await_reveal(room.code, quiz.key)
    return False


@st.fragment(run_every=STUDENT_POLL_S)
def _await_reveal(code: str, quiz_key: str) -> None:
    """Ask the room whether the answer is out; when it is, run the whole page again."""
    try:
        revealed = room_store().revealed(code, quiz_key)
    except RoomUnavailable:
        revealed = False
    if revealed:
        st.rerun(scope="app")
    st.caption("Waiting for your teacher to reveal the answer …")


def _student_revealed(quiz: Quiz, room: Room, answer: str | None) -> bool:
    from labui.teacher import show_feedback

    show_feedback(quiz, answer)
    try:
        counts = room_store().counts(room.code, quiz.key)
    except RoomUnavailable:
        st.caption("The class's answers cannot be reached right now.")
        return True
    show_figure(poll_figure(quiz, counts, truth=True, mine=answer), key=f"{quiz.key}.class_fig",
                filename="class_poll", csv=False)
    return True


def host_poll(quiz: Quiz, room: Room) -> bool:
    """The teacher's quiz in a room: the live chart and Reveal to all; after it, the answer.

    Raises:
        RoomUnavailable: the store cannot be reached before anything is drawn.

    Returns:
        Whether the result may be shown now (revealed to the room).
    """
    store = room_store()
    if not store.revealed(room.code, quiz.key):
        _live_poll(room.code, quiz)
        return False
    st.success(f"Revealed to room {room.code}: the answer is *{quiz.correct}*. "
               f"{quiz.explanation}")
    try:
        counts = store.counts(room.code, quiz.key)
    except RoomUnavailable:
        st.caption("The class's answers cannot be reached right now.")
        return True
    show_figure(poll_figure(quiz, counts, truth=True), key=f"{quiz.key}.class_fig",
                filename="class_poll", csv=False)
    return True


@st.fragment(run_every=TEACHER_POLL_S)
def _live_poll(code: str, quiz: Quiz) -> None:
    """The room's answers, redrawn every :data:`TEACHER_POLL_S` seconds, and Reveal to all."""
    store = room_store()
    try:
        counts = store.counts(code, quiz.key)
        revealed = store.revealed(code, quiz.key)
    except RoomUnavailable:
        st.warning("The class poll cannot be reached right now; trying again …")
        return
    if revealed:  # revealed from another screen
        st.rerun(scope="app")
    st.caption(f"Class poll, room {code}: students answer on their own devices; the chart "
               f"updates by itself. The room closes {ROOM_TTL_S // 3600} hours after it opens.")
    # Above the chart: on a 1280×720 projector a button under it is below the fold.
    if st.button("Reveal to all", key=f"{quiz.key}.reveal_all", type="primary",
                 help="Shows the answer and the class's guesses on every student's page."):
        try:
            store.reveal(code, quiz.key)
        except RoomUnavailable:
            st.warning(UNAVAILABLE)
            return
        st.rerun(scope="app")
    show_figure(poll_figure(quiz, counts, truth=False), key=f"{quiz.key}.poll_fig",
                filename="class_poll", csv=False)
