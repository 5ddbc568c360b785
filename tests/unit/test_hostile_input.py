"""Hostile input (issue #23): what a link, a file or a label can make the lab show or write.

A teacher's link and a student's CSV reach every viewer's browser. Whatever text they carry must
come back as text: in the page's messages (Streamlit renders them as GitHub-flavoured Markdown,
with autolinks, emoji shortcodes and colour directives), in Plotly figures (which read a subset
of HTML) and in downloaded CSV files (which a spreadsheet may read as formulas). Values of any
size must give messages of a bounded size, and files of any width a clear refusal.

The fuzz tests drive every page's ``Config.from_strings`` and the CSV reader with hostile text
and bytes: each either succeeds or raises ``ValueError`` with a short message that, once passed
through the page's escaping (:func:`labui.errors.escape_markdown`), holds no Markdown or HTML.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labcore.config import Config
from labcore.data.user_csv import MAX_COLUMNS, prepare, read_csv_bytes
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.ood.config import OODConfig, OODLabConfig, ShiftConfig, ToyOODConfig
from labcore.experiments.regression.config import RegressionConfig
from labcore.plots._spec import plain_text
from labui.downloads import csv_bytes
from labui.errors import escape_markdown

CONFIGS = [RegressionConfig, ClassificationConfig, CalibrationConfig, OODLabConfig, OODConfig,
           ShiftConfig, ToyOODConfig, MLEConfig]
MAX_MESSAGE = 500
"""The longest error message any input may produce (characters)."""
MB = 1_000_000

HOSTILE = [
    "[x](https://evil.example/login) __now__",
    "![t](https://evil.example/pixel.png)",
    "<b>hi</b>",
    "<img src=https://evil.example/p.png>",
    "<a href='https://evil.example'>x</a>",
    "javascript:alert(1)",
    "[c](javascript:alert(1))",
    "[ref]: https://evil.example",
    '=HYPERLINK("https://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "www.evil.example",
    "WWW.EVIL.EXAMPLE/path",
    "me@evil.example",
    "mailto:me@evil.example",
    "HTTPS://EVIL.EXAMPLE",
    "https&#58;//evil.example",
    "&lt;b&gt;entity&lt;/b&gt;",
    "*bold* **b** _i_ __u__ ~~s~~ `code` $x^2$",
    ":red[hi] :smile: :material/home: :+1:",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "line\nbreak\r\n\r\n# h\n===",
    "\\*escaped\\* \\",
    "\x00\x01\x1b[31m\x7f",
    "\u202eevil",
    "9" * 10_000,
    "9" * MB,
    "a" * MB,
    "1" + "0" * 400,
    "1e309",
    "-1e309",
    "nan",
    "-inf",
    b"\xff\xfe\x80abc\xc3(".decode("utf-8", "surrogateescape"),
]
"""Markdown, HTML, ``javascript:`` URLs, formula prefixes, control characters, 1 MB values and
non-UTF-8 bytes (as a server decodes them with ``surrogateescape``)."""

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(HOSTILE), st.text(max_size=8),
              st.sampled_from(HOSTILE)),
)
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- what "renders as text" means -------------------------------------------------------------

_UNESCAPED = r"(?<!\\)(?:\\\\)*"
"""Matches before a character that no backslash escapes (an even number of backslashes)."""
_ALWAYS = "[]<>*`$~|&#"
_AUTOLINK = re.compile(r"https?://|www\.|[\w.+-]@[\w-]", re.IGNORECASE)  # mailto: needs an @


def shown_text(markdown: str) -> str:
    """What a reader sees: backslash escapes resolved, the invisible word joiners dropped."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def markup_in(markdown: str) -> list[str]:
    """Everything in ``markdown`` that GitHub-flavoured Markdown (as Streamlit renders it) would
    turn into something other than the characters themselves; [] when it renders as text."""
    problems = [f"unescaped {c!r}" for c in _ALWAYS
                if re.search(_UNESCAPED + re.escape(c), markdown)]
    for match in re.finditer(_UNESCAPED + "_", markdown):
        before = markdown[match.end() - 2] if match.end() >= 2 else " "
        after = markdown[match.end()] if match.end() < len(markdown) else " "
        if not (before.isalnum() and after.isalnum()):  # only intraword _ cannot emphasise
            problems.append("unescaped '_' that can open or close emphasis")
            break
    # Autolinks (GFM's literal autolinks are found in the text after escapes are resolved),
    # emoji shortcodes and directives (":name").
    seen = markdown.replace("\\", "")
    if _AUTOLINK.search(seen):
        problems.append(f"autolink trigger {_AUTOLINK.search(seen).group()!r}")
    if re.search(r":[\w+-]*[/:{]", seen):
        problems.append("':name:' (emoji shortcode or icon), ':/' or ':name{…}' (directive)")
    if re.search(r"[\r\n\x0b\x0c\x85\u2028\u2029]", markdown):
        problems.append("a line break (headings, lists, tables, code blocks start at one)")
    if re.match(r"\s*(?:[-+=]|\d+[.)](?:\s|$))", markdown):
        problems.append("a list, heading or rule marker at the start")
    return problems


def check_message(exc: ValueError) -> None:
    """A short message that the page's escaping turns into plain text."""
    message = str(exc)
    assert len(message) <= MAX_MESSAGE, (len(message), message[:200])
    shown = escape_markdown(message)
    assert markup_in(shown) == [], (markup_in(shown), shown[:300])


# --- item 1: a link's text in a message renders as text --------------------------------------


@pytest.mark.parametrize("text", [h for h in HOSTILE if len(h) < 1000])
def test_escaped_text_renders_as_the_same_characters(text: str) -> None:
    shown = escape_markdown(text)
    assert markup_in(shown) == []
    # A reader sees the text itself (line breaks and tabs become spaces: one paragraph).
    assert shown_text(shown) == re.sub(r"[\r\n\t\x0b\x0c\x85\u2028\u2029]", " ", text)


def test_the_issue_link_shows_no_link_and_no_bold() -> None:
    shown = escape_markdown("Got '…https://evil.example/login __now__'.")
    assert "https://" not in shown and "\\_\\_now\\_\\_" in shown
    assert shown_text(shown) == "Got '…https://evil.example/login __now__'."


def test_intraword_underscores_and_plain_sentences_stay_readable() -> None:
    message = "Points (n_points) must be between 5 and 2000. Got 5000."
    assert escape_markdown(message) == message


# --- item 2: labels in Plotly text -------------------------------------------------------------


def test_plotly_text_shows_tags_as_text() -> None:
    assert plain_text("<a href='https://evil.example'>x</a> & <b>") == (
        "&lt;a href='https://evil.example'&gt;x&lt;/a&gt; &amp; &lt;b&gt;")
    assert plain_text("cat") == "cat"


# --- item 3: spreadsheet formulas in downloaded CSV files --------------------------------------


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_downloads_escape_formulas_in_text_but_keep_numbers() -> None:
    frame = pd.DataFrame({
        "label": ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)",
                  "\t=1", "\r=1", "cat", "-1"],
        "score": [-1.5, 2.0, -0.25, 3.0, -4.0, 0.0, 1e-3, -7.0],
        "count": np.arange(-4, 4),
    })
    rows = _cells(csv_bytes(frame))
    assert rows[0] == ["label", "score", "count"]
    labels = [row[0] for row in rows[1:]]
    assert labels == ['\'=HYPERLINK("https://evil.example","x")', "'+1+1", "'-2+3", "'@SUM(A1)",
                      "'\t=1", "'\r=1", "cat", "-1"]  # "-1" is a number, not a formula
    assert [float(row[1]) for row in rows[1:]] == [-1.5, 2.0, -0.25, 3.0, -4.0, 0.0, 1e-3, -7.0]
    assert [int(row[2]) for row in rows[1:]] == list(range(-4, 4))


def test_csv_downloads_escape_a_formula_in_a_column_name() -> None:
    rows = _cells(csv_bytes(pd.DataFrame({"=cmd|' /C calc'!A0": [1]})))
    assert rows[0] == ["'=cmd|' /C calc'!A0"]


def test_the_test_predictions_download_escapes_a_users_labels() -> None:
    from labcore.experiments.classification import report
    from labcore.experiments.classification.config import ClassificationConfig as Model
    from labcore.experiments.classification.upload import (
        UploadedClassification,
        run_classification_upload,
    )

    rng = np.random.default_rng(0)
    lines = ["x1,x2,label"] + [
        f"{a:.3f},{b:.3f},{label}"
        for label, centre in (('"=HYPERLINK(""https://evil.example"",""x"")"', -2.0),
                              ("-1", 2.0))
        for a, b in rng.normal((centre, 0.0), 0.5, size=(30, 2))]
    frame = read_csv_bytes("\n".join(lines).encode())
    data = prepare(frame, ["x1", "x2"], "label", "classification")
    model = Model(dataset="moons", steps=50, method="none", n_views=2).model_config()
    result = run_classification_upload(UploadedClassification(model, data))
    rows = _cells(csv_bytes(pd.DataFrame(report.view_table(result))))
    header, body = rows[0], rows[1:]
    true_label = [row[header.index("true_label")] for row in body]
    assert set(true_label) == {'\'=HYPERLINK("https://evil.example","x")', "-1"}
    assert all(float(row[header.index("confidence")]) > 0 for row in body)


# --- item 4: a huge value gives a short message -----------------------------------------------


def test_a_huge_value_is_echoed_in_part() -> None:
    with pytest.raises(ValueError) as caught:
        RegressionConfig.from_strings({"seed": "9" * 10_000})
    message = str(caught.value)
    assert len(message) <= 200, len(message)
    assert "Got '" + "9" * 40 + "'… (10,000 characters)." in message


# --- item 5: a wide file is refused before it is parsed ---------------------------------------


def test_a_wide_file_is_refused_with_the_limit_and_its_width(monkeypatch) -> None:
    def no_parse(*args, **kwargs):
        raise AssertionError("the whole file was parsed")

    monkeypatch.setattr(pd, "read_csv", no_parse)  # the module user_csv imports on use
    header = ",".join(f"c{i}" for i in range(50_000))
    raw = (header + "\n" + ",".join("1" for _ in range(50_000)) + "\n").encode()
    with pytest.raises(ValueError) as caught:
        read_csv_bytes(raw, name="wide.csv")
    message = str(caught.value)
    assert f"at most {MAX_COLUMNS:,} columns" in message and "50,000" in message, message
    check_message(caught.value)


def test_a_file_at_the_column_limit_is_read() -> None:
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS))
    rows = [",".join(str(i + j) for j in range(MAX_COLUMNS)) for i in range(12)]
    frame = read_csv_bytes("\n".join([header, *rows]).encode())
    assert frame.shape == (12, MAX_COLUMNS)


def test_rows_wider_than_the_header_are_refused() -> None:
    raw = ("a,b\n" + "\n".join(",".join("1" for _ in range(MAX_COLUMNS + 5))
                                for _ in range(3))).encode()
    with pytest.raises(ValueError) as caught:
        read_csv_bytes(raw)
    check_message(caught.value)


# --- fuzz: every page's config from a hostile link --------------------------------------------


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@FUZZ
@given(data=st.data())
def test_every_config_reads_hostile_link_values_safely(cls: type[Config], data) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    fields = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    values = {name: data.draw(hostile_text) for name in fields}
    try:
        config = cls.from_strings(values)
    except ValueError as exc:
        check_message(exc)
    else:
        assert isinstance(config, cls)


# --- fuzz: the CSV reader on hostile bytes ----------------------------------------------------


def _csv_with(header: list[str], labels: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for i in range(12):
        writer.writerow([f"{i * 0.5 - 3:g}", f"{-i:g}", labels[i % len(labels)]])
    return out.getvalue().encode("utf-8", "surrogateescape")


hostile_csv = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda h, labels: _csv_with(["x1", h, "label"], labels), hostile_text,
              st.lists(hostile_text, min_size=1, max_size=3)),
    st.builds(lambda h, labels: _csv_with([h, "x2", "label"], labels), hostile_text,
              st.lists(hostile_text, min_size=2, max_size=3)),
    st.sampled_from([
        b"", b"\xef\xbb\xbf", b"\x00\x01\x02", "x,y\n1,2\n".encode("utf-16"), b"a\n1\n2\n",
        b'x,y\n"1,2\n', b"x;y\n1;2\n" * 20, ("x,y\n" + "1,2\n" * 3_000_000).encode(),
        ",".join(f"c{i}" for i in range(50_000)).encode() + b"\n1,2\n",
        b"x,y\n" + b"1," * 50_000 + b"\n",
        b"x,label\n" + b"\n".join(b"%d,%d" % (i, i % 11) for i in range(40)),
        b"x,y\n" + b"\n".join(b"%d,1e400" % i for i in range(20)),
    ]),
)


@FUZZ
@given(raw=hostile_csv)
def test_the_csv_reader_refuses_hostile_bytes_with_short_messages(raw: bytes) -> None:
    try:
        frame = read_csv_bytes(raw, name="upload.csv")
    except ValueError as exc:
        check_message(exc)
        return
    columns = list(frame.columns)
    assert 2 <= len(columns) <= MAX_COLUMNS
    attempts = [(columns[:1], columns[1], "regression")]
    if len(columns) >= 3:
        attempts.append((columns[:2], columns[2], "classification"))
    for inputs, target, task in attempts:
        for drop in (False, True):
            try:
                prepare(frame, inputs, target, task, drop_invalid=drop)
            except ValueError as exc:
                check_message(exc)
