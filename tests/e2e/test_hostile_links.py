"""End-to-end (issue #23): a hostile teacher link and a hostile CSV label in real Chromium.

A link whose preset is Markdown and HTML, and a class label that is a Markdown image, must show
as the same characters: no link to the attacker's site, no image from it, no bold text made of
it, and no request from the browser to it (every request Chromium makes is watched).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_pages import (
    ERROR_ALERT,
    LOAD_WAIT_MS,
    WAIT_MS,
    selected_text,
    sidebar_selectbox,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e
EVIL = "evil.example"
LINK = "[x](https://evil.example/login) __now__ <b>hi</b>"
PIXEL = "![t](https://evil.example/pixel.png)"
COLUMN = "[c](https://evil.example/c) **x1**"
# Elements the hostile text makes if it is rendered as Markdown or HTML: a link, an image (in
# HTML or in a Plotly SVG).
LINK_OR_IMAGE = f'a[href*="{EVIL}"], img[src*="{EVIL}"], image[href*="{EVIL}"]'


def _visible(text: str) -> str:
    """What a reader sees: invisible word joiners (which stop autolinks) left out."""
    return text.replace("\u2060", "")


def _watch_requests(page: Any) -> list[str]:
    """Every URL Chromium requests from ``evil.example`` (its host, not the app's own URL that
    quotes it), from now on."""
    seen: list[str] = []

    def watch(request: Any) -> None:
        host = urlsplit(request.url).hostname or ""
        if host == EVIL or host.endswith("." + EVIL):
            seen.append(request.url)

    page.on("request", watch)
    return seen


def test_a_link_with_markdown_and_html_in_its_preset_shows_them_as_text(page):
    requests = _watch_requests(page)
    page.goto(f"/regression?preset={quote(LINK)}", wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(state="visible", timeout=LOAD_WAIT_MS)
    wait_for_app(page, LOAD_WAIT_MS)
    wait_for_charts(page, LOAD_WAIT_MS)
    alert = page.locator(ERROR_ALERT).first
    assert f"Got '{LINK}'." in _visible(alert.inner_text())
    html = alert.inner_html()
    assert not any(tag in html for tag in ("<a ", "<strong", "<b>", "<em", "<img")), html
    assert page.locator(LINK_OR_IMAGE).count() == 0
    assert requests == []


def test_a_class_label_that_is_a_markdown_image_fetches_nothing(page, tmp_path):
    rng = np.random.default_rng(5)
    rows = [f'"{COLUMN}",x2,label']
    for (cx, cy), label in (((-2.0, 0.0), PIXEL), ((2.0, 0.0), "cat")):
        rows += [f"{a:.4f},{b:.4f},{label}" for a, b in rng.normal((cx, cy), 0.5, size=(30, 2))]
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(rows) + "\n")
    requests = _watch_requests(page)
    page.goto("/classification?steps=100&view=inspector&split=train", wait_until="commit")
    page.get_by_text("My CSV file (x1, x2, label)", exact=True).click(timeout=LOAD_WAIT_MS)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    wait_for_app(page, LOAD_WAIT_MS)
    wait_for_charts(page, WAIT_MS)
    main = page.locator('[data-testid="stMain"]')
    text = _visible(main.inner_text())
    # The summary names the classes and the input columns as they are.
    assert f"2 classes ({PIXEL}, cat); {COLUMN} and x2 are standardised" in text
    assert PIXEL in text.split("Final class under each aggregation", 1)[1]  # the table's cells
    assert page.locator(LINK_OR_IMAGE).count() == 0
    assert page.locator("strong", has_text="x1").count() == 0  # **x1** is not bold anywhere
    # The column picker shows the name as it is, chosen and among the options.
    box = sidebar_selectbox(page, "Column for x1")
    assert _visible(selected_text(box)) == COLUMN
    box.get_by_role("combobox").click()
    options = page.get_by_role("option")
    options.first.wait_for(state="visible", timeout=WAIT_MS)
    assert COLUMN in [_visible(o) for o in options.all_inner_texts()]
    assert page.locator(LINK_OR_IMAGE).count() == 0
    page.keyboard.press("Escape")
    # Plotly's legend names the classes as text too (no <a>, no <img> in the SVG).
    names = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                          ".flatMap(gd => gd._fullData.map(d => d.name))")
    assert f"training label {PIXEL}" in names, names
    assert requests == []
