"""The class poll in one process (AppTest): a teacher opens a room, students answer, the
teacher's chart counts them, Reveal to all shows every student the answer and the class chart.

Every session runs the presentation fixture page (its quiz: "Is the mean … positive?", options
Yes / No, answer Yes) in this process, so they share the in-process room store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from labui import rooms
from labui.errors import escape_markdown

PAGE = str(Path(__file__).resolve().parent / "present_page.py")
ANSWER, REVEAL_ALL = "fx.quiz.answer", "fx.quiz.reveal_all"


def run_page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def links_of_a_new_room() -> tuple[dict[str, str], dict[str, str]]:
    """The students' and the teacher's links (as query dicts) of a room a teacher opens."""
    at = run_page(n="30")
    at.session_state["fx.teacher"] = True  # what opening the expander does
    at.run()
    at.toggle(key="fx.teacher.room").set_value(True).run()
    assert not at.exception
    codes = [c.proto.code_text for c in at.get("code")]
    assert len(codes) == 2
    students, teacher = ({k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
                         for link in codes)
    return students, teacher


def poll_chart(at: AppTest) -> dict[str, Any]:
    """The class poll's bar chart on the page (the only horizontal bar chart)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    polls = [s for s in specs if s["data"][0].get("orientation") == "h"]
    assert len(polls) == 1, [s["layout"].get("title") for s in specs]
    return polls[0]


def bars(at: AppTest) -> dict[str, int]:
    data = poll_chart(at)["data"][0]
    return dict(zip(data["y"], data["x"], strict=True))


def test_the_teacher_link_opens_a_room_with_a_students_link_and_a_projector_link() -> None:
    students, teacher = links_of_a_new_room()
    code = students["room"]
    assert rooms.valid_code(code) and len(code) == 5
    assert students == {"n": "30", "quiz": "1", "room": code}  # no host key, no presentation
    assert teacher == {**students, "present": "1", "host": rooms.room_store().host_key(code)}
    assert rooms.room_store().is_open(code)


def test_answers_are_counted_on_the_teacher_page_and_revealed_to_every_student() -> None:
    students, teacher = links_of_a_new_room()
    projector = run_page(**teacher)
    assert not projector.exception
    assert bars(projector) == {"Yes": 0, "No": 0}  # live, and the answer is not marked
    assert not projector.get("radio")  # the teacher does not answer
    assert poll_chart(projector)["layout"]["title"]["text"] == "Class answers so far: 0"

    alice, bob = run_page(**students), run_page(**students)
    assert not alice.get("plotly_chart")  # the result is held back, as in the plain quiz
    alice.radio(key=ANSWER).set_value("Yes").run()
    bob.radio(key=ANSWER).set_value("No").run()
    assert not alice.exception and not bob.exception
    assert not alice.button  # no Reveal of their own: the teacher reveals
    projector.run()  # what the chart's fragment does every second
    assert bars(projector) == {"Yes": 1, "No": 1}

    projector.button(key=REVEAL_ALL).click().run()
    assert not projector.exception
    assert projector.success[0].value.startswith(f"Revealed to room {students['room']}")
    assert bars(projector) == {"✓ Yes": 1, "No": 1}
    assert len(projector.get("plotly_chart")) == 2  # the poll, and now the page's result

    alice.run()  # what her waiting fragment does every 2 s, once it sees the reveal
    assert alice.success[0].value.startswith("✓ Right: *Yes*.")
    assert bars(alice) == {"✓ Yes (you)": 1, "No": 1}
    assert alice.radio(key=ANSWER).disabled
    assert len(alice.get("plotly_chart")) == 2  # the class chart, and now the page's result
    bob.run()
    assert bob.error[0].value.startswith("✗ Not quite — you said *No*")
    assert bars(bob) == {"✓ Yes": 1, "No (you)": 1}
    colours = poll_chart(bob)["data"][0]["marker"]["color"]
    assert colours[0] != colours[1]  # the truth stands out


def test_a_student_changes_their_vote_before_the_reveal() -> None:
    students, teacher = links_of_a_new_room()
    projector = run_page(**teacher)
    alice, bob = run_page(**students), run_page(**students)
    alice.radio(key=ANSWER).set_value("Yes").run()
    bob.radio(key=ANSWER).set_value("Yes").run()
    assert bars(projector.run()) == {"Yes": 2, "No": 0}
    bob.radio(key=ANSWER).set_value("No").run()
    assert bars(projector.run()) == {"Yes": 1, "No": 1}  # the count moved, the total stayed
    projector.button(key=REVEAL_ALL).click().run()
    bob.radio(key=ANSWER).set_value("Yes").run()  # too late: the radio is frozen
    assert bars(projector.run()) == {"✓ Yes": 1, "No": 1}


def test_a_later_student_and_a_reload_after_the_reveal() -> None:
    students, teacher = links_of_a_new_room()
    projector = run_page(**teacher)
    run_page(**students).radio(key=ANSWER).set_value("No").run()
    projector.button(key=REVEAL_ALL).click().run()
    late = run_page(**students)  # opened after the reveal: sees it, never answered
    assert late.info[0].value.startswith("The answer is *Yes*.")
    assert bars(late) == {"✓ Yes": 0, "No": 1}


@pytest.mark.parametrize("code", ["K7Q2!", "<b>x</b>", "[a](https://evil.example)", "ab"])
def test_a_malformed_room_code_gives_the_plain_quiz(code: str) -> None:
    at = run_page(quiz="1", room=code)
    assert not at.exception
    # shown as text: Markdown-escaped (labui.errors), so no markup, link or HTML comes out
    assert (f"This link's room code ({escape_markdown(code)}) is not a room code: you answer "
            "on your own.") in [c.value for c in at.caption]
    at.radio(key=ANSWER).set_value("No").run()
    at.button(key="fx.quiz.reveal").click().run()  # the plain quiz's own Reveal
    assert at.error[0].value.startswith("✗ Not quite")
    assert not [s for s in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                if s["data"][0].get("orientation") == "h"]


def test_a_room_that_is_not_open_gives_the_plain_quiz() -> None:
    at = run_page(quiz="1", room="zzzz9")
    assert any("Room zzzz9 is not open" in c.value for c in at.caption)
    assert at.button(key="fx.quiz.reveal")


def test_a_wrong_host_key_is_a_student() -> None:
    _, teacher = links_of_a_new_room()
    at = run_page(**{**teacher, "host": "0" * 20})
    assert at.radio(key=ANSWER)  # a student's page: the question to answer …
    assert REVEAL_ALL not in [b.key for b in at.button]  # … and no Reveal to all


def test_the_browser_token_is_read_from_streamlits_xsrf_cookie() -> None:
    token = bytes(range(16))
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    cookie = f"2|{mask.hex()}|{masked.hex()}|1700000000"
    assert rooms._browser_token(cookie) == token
    other_mask = b"\xff\x00\xaa\x55"  # the same token, masked again on the next page load
    remasked = bytes(b ^ other_mask[i % 4] for i, b in enumerate(token))
    assert rooms._browser_token(f"2|{other_mask.hex()}|{remasked.hex()}|1700000001") == token
    for bad in (None, "", "2|zz|00|1", "1|0102|0304|5", "2|01020304|00|1"):
        assert rooms._browser_token(bad) is None
