"""Hostile links and files on the real pages (issue #23): their text is shown as text.

A teacher's link or a student's CSV reaches every viewer. What it carries (a preset name, a
column name, a class label, a file name) must come out as the same characters: no link, image,
bold text or HTML in the page's Markdown (messages, captions, tables), no HTML in Plotly's
text, and the teacher link of an upload says that it does not carry the file.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_hostile_input import markup_in, shown_text

KEY = "classification"
LINK = "[x](https://evil.example/login) __now__ <b>hi</b>"
PIXEL = "![t](https://evil.example/pixel.png)"
ANCHOR = '<a href="https://evil.example">b</a> & **b**'
FEATURE = "[f](https://evil.example) _one_"
FILE_NAME = "**class**_list_.csv"


def open_page(page: str, query: dict[str, str] | None = None) -> AppTest:
    return open_app(f"pages/{page}.py", query or {})


def test_a_preset_link_with_markdown_and_html_shows_them_as_text() -> None:
    at = open_page("regression", {"preset": LINK})
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert markup_in(error) == [], error
    assert f"Got '{LINK}'." in shown_text(error)


def _hostile_csv() -> bytes:
    """60 rows in two blobs labelled with a Markdown image and an HTML link; hostile names."""
    rng = np.random.default_rng(3)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([FEATURE, "x2", "label"])
    for (cx, cy), label in (((-2.0, 0.0), PIXEL), ((2.0, 0.0), ANCHOR)):
        for a, b in rng.normal((cx, cy), 0.5, size=(30, 2)):
            writer.writerow([f"{a:.4f}", f"{b:.4f}", label])
    return out.getvalue().encode()


def _upload(query: dict[str, str]) -> AppTest:
    at = open_page("classification", query)
    at.radio(key=f"{KEY}.source").set_value("upload").run()
    at.file_uploader[0].set_value((FILE_NAME, _hostile_csv(), "text/csv")).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _plotly_texts(at: AppTest) -> list[str]:
    """Every trace name and title text of the page's Plotly charts."""
    texts: list[str] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("name", "text", "title"):
            texts.append(node)

    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        walk({"data": spec["data"], "layout": {k: v for k, v in spec["layout"].items()
                                               if k != "template"}})
    return texts


def test_an_uploads_labels_and_column_names_are_shown_as_text() -> None:
    at = _upload({"steps": "100", "view": "map"})
    # The summary under the uploader names the classes and the input columns.
    summary = next(c.value for c in at.caption if c.value.startswith("Your data:"))
    assert markup_in(summary.replace("**Label noise rate**", "Label noise rate")) == [], summary
    for text in (PIXEL, ANCHOR, FEATURE):
        assert text in shown_text(summary)
    # The preview's title names the file.
    preview = next(e.label for e in at.expander if e.label.startswith("Preview of"))
    assert markup_in(preview) == [] and FILE_NAME in shown_text(preview), preview
    # Plotly reads <a href>, <b> and entities in trace names and titles: shown as text.
    texts = _plotly_texts(at)
    legend = [t for t in texts if t.startswith("training label ")]
    assert set(legend) == {
        "training label ![t](https://evil.example/pixel.png)",
        "training label &lt;a href=\"https://evil.example\"&gt;b&lt;/a&gt; &amp; **b**"}, legend
    assert all("<a" not in t and "<b>" not in t for t in texts), texts
    assert any(t == "feature [f](https://evil.example) _one_ (standardised)" for t in texts)


def test_the_inspector_shows_an_uploads_labels_as_text() -> None:
    at = _upload({"steps": "100", "view": "inspector", "split": "train"})
    facts = next(m.value for m in at.markdown if m.value.startswith("**True class:**"))
    values = [line.split(":** ", 1)[1] for line in facts.split("  \n")]
    assert all(markup_in(value) == [] for value in values), facts
    assert shown_text(values[0]) in (PIXEL, ANCHOR)
    # st.table renders Markdown in its cells: the final classes are escaped there.
    final = at.table[0].value
    cells = [str(v) for v in final.to_numpy().ravel()]
    assert all(markup_in(cell) == [] for cell in cells), cells
    assert {shown_text(c) for c in final["final class"]} <= {PIXEL, ANCHOR}


def test_the_teacher_link_of_an_upload_says_it_does_not_carry_the_file() -> None:
    at = _upload({"steps": "100"})
    at.session_state[f"{KEY}.teacher"] = True  # what opening the expander does
    at.run()
    notes = [w.value for w in at.warning]
    assert any("does not carry" in n and "upload it" in n for n in notes), notes
    # On generated data the link carries everything: no such note.
    at.radio(key=f"{KEY}.source").set_value("generated").run()
    assert not any("does not carry" in w.value for w in at.warning)
