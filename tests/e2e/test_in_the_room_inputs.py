"""In the room, in a real browser: what a teacher and a class see when they take a page's
script home, upload a file that is too large or broken, share a teacher link, and read the
calibration views.

Each test watches what is on screen (text, boxes, the numbers a script prints) rather than the
code behind it. Screenshots go to a temporary folder (``LAB_UPDATE_SCREENSHOTS=1``: ``docs/``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import fresh_context_page

sys.path.insert(0, str(Path(__file__).parent))
from test_pages import (  # the e2e helpers live with the page tests
    CHART,
    ROOT,
    SIDEBAR,
    WAIT_MS,
    PlaywrightTimeoutError,
    open_page,
    wait_for_app,
)
from test_pages import screenshot as chart_screenshot

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
METRIC_VALUE = '[data-testid="stMetricValue"]'
SCRIPT_TIMEOUT_S = 300


def screenshot(page: Any, folder: Path, name: str) -> Path:
    """A full-page PNG (test_pages.screenshot, which waits for charts, when there are any)."""
    if page.locator(CHART).count():
        return chart_screenshot(page, folder, name)
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    page.evaluate("() => document.activeElement?.blur()")
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


# --- item 6: the downloaded script prints the number the page shows ------------------------


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+", text)]


def _home(page: Any) -> tuple[list[str], list[float]]:
    """The best μ, as the third metric shows it (3 decimals)."""
    return [page.locator(METRIC_VALUE).nth(2).inner_text().strip()], [0.001]


def _regression(page: Any) -> tuple[list[str], list[float]]:
    """Test NLL (3 decimals) and 95 % coverage (a percentage, 1 decimal) from the table."""
    table = page.locator(MAIN).locator("table").filter(has_text="Gaussian NLL").first
    nll = table.locator("tr").filter(has_text="Gaussian NLL").locator("td").first.inner_text()
    cover = table.locator("tr").filter(has_text="95 % coverage").locator("td").first.inner_text()
    return [nll.strip(), str(float(cover.strip().rstrip("%")) / 100)], [0.001, 0.001]


def _classification(page: Any) -> tuple[list[str], list[float]]:
    """Test accuracy as the first metric shows it: a percentage with 1 decimal."""
    shown = page.locator(METRIC_VALUE).first.inner_text().strip()
    return [str(float(shown.rstrip("%")) / 100)], [0.001]


def _calibration(page: Any) -> tuple[list[str], list[float]]:
    """Plain CE's ECE before and after temperature scaling, and T, from the notice."""
    text = page.locator(MAIN).inner_text()
    match = re.search(r"T = (\d+\.\d+) brings its ECE from (\d+\.\d+) to (\d+\.\d+)", text) or \
        re.search(r"T = (\d+\.\d+) takes its ECE from (\d+\.\d+) to (\d+\.\d+)", text)
    assert match, text[:2000]
    t, before, after = match.groups()
    return [before, after, t], [0.001, 0.001, 0.01]


def _ood(page: Any) -> tuple[list[str], list[float]]:
    """The best detector of held-out digits and its AUROC (2 decimals), from the notice."""
    text = page.locator(MAIN).inner_text()
    match = re.search(r"best detector here is (.+?) \(AUROC (\d+\.\d+)\)", text)
    assert match, text[:2000]
    page.evaluate("name => { window.labBestDetector = name; }", match.group(1))
    return [match.group(2)], [0.01]


HEADLINES: dict[str, tuple[str, str, Callable[[Any], tuple[list[str], list[float]]]]] = {
    # page: (path, the script's file name, what the page shows and its rounding unit)
    "home": ("/", "home_scene.py", _home),
    "regression": ("/regression", "regression_scene.py", _regression),
    "classification": ("/classification", "classification_scene.py", _classification),
    "calibration": ("/calibration", "calibration_scene.py", _calibration),
    "ood": ("/ood?view=detection", "ood_scene.py", _ood),
}


def _printed(page_name: str, stdout: str) -> list[float]:
    """The numbers of the script's last line (its headline), in the order the page's are read
    (the T comes last on both)."""
    numbers = _numbers(stdout.strip().splitlines()[-1])
    if page_name == "home":
        return numbers[:1]  # "maximum-likelihood μ = 0.8168 (data drawn with 1.0000)"
    return numbers


@pytest.mark.parametrize("name", list(HEADLINES))
def test_the_downloaded_script_prints_the_pages_headline(page: Any, name: str,
                                                         tmp_path: Path) -> None:
    path, filename, read = HEADLINES[name]
    if name == "home":  # Home trains nothing, so it neither starts torch nor waits for it:
        open_page(page, "/regression")  # the sidebar names the device once a page trained
        wait_for_app(page)
    open_page(page, path)
    wait_for_app(page)
    shown, units = read(page)
    computing = page.locator(SIDEBAR).get_by_text(re.compile(r"^Computing on: ")).inner_text()
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="⬇ Python script").click()
    script = tmp_path / download.value.suggested_filename
    download.value.save_as(script)
    assert script.name == filename
    # The script's own environment: no LAB_TORCH_THREADS, so torch would use every core.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LAB_", "OMP_", "MKL_", "STREAMLIT_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=SCRIPT_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    # It computes the way the server does (the sidebar's "Computing on: CPU (1 thread)").
    assert computing.strip() in done.stdout, (
        f"{name}: the sidebar says {computing.strip()!r}; the script printed "
        f"{done.stdout.strip()!r}")
    printed = _printed(name, done.stdout)
    assert len(printed) >= len(shown), (shown, done.stdout)
    # The page rounds to `unit`; the script prints 4 decimals. Equal at the page's rounding
    # means within half the page's unit (plus half the script's last digit).
    for value, text, unit in zip(printed, shown, units, strict=False):
        assert abs(value - float(text)) <= unit / 2 + 0.00005 + 1e-9, (
            f"{name}: the page shows {shown}, the script printed {done.stdout.strip()!r}")
    if name == "ood":  # and it names the same detector
        assert page.evaluate("window.labBestDetector") in done.stdout, done.stdout


# --- item 7 and 8 (a, b): uploads that cannot be used say so where the user looks -----------

UPLOAD_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'


def _choose_upload(page: Any, path: str = "/regression") -> None:
    open_page(page, path)
    page.locator(SIDEBAR).get_by_text("My CSV file (x, y)", exact=True).click()
    wait_for_app(page)


def _upload(page: Any, file: Path) -> str:
    """Upload ``file`` in the sidebar; return the text of the main area's error box."""
    page.locator(UPLOAD_INPUT).set_input_files(str(file))
    error = page.locator(MAIN).locator(ERROR_ALERT)
    try:
        error.first.wait_for(state="visible", timeout=WAIT_MS)
    except PlaywrightTimeoutError:
        uploader = page.locator(SIDEBAR).locator('[data-testid="stFileUploader"]')
        pytest.fail(f"No error in the main area after uploading {file.name}; the main area "
                    f"says {page.locator(MAIN).inner_text()[:600]!r}; the sidebar's uploader "
                    f"says {' '.join(uploader.inner_text().split())!r}.", pytrace=False)
    wait_for_app(page)
    return " ".join(error.first.inner_text().split())


def test_a_too_large_upload_says_its_size_and_the_limit_in_the_main_area(
        page: Any, tmp_path: Path, screenshot_dir: Path) -> None:
    row = "0.123456789,1.234567890\n"  # 24 bytes a row
    big = tmp_path / "big.csv"
    big.write_text("x,y\n" + row * ((10_000_000 - 4) // len(row)))
    assert 9_990_000 < big.stat().st_size <= 10_000_000  # 10.0 MB, as the file chip counts
    _choose_upload(page)
    message = _upload(page, big)
    assert "10.0 MB" in message, message  # the file's size
    assert re.search(r"\b5 MB\b", message), message  # and the lab's limit
    assert "5,000 rows" in message, message
    assert "Change the setting named above" not in message, message
    # The file chip in the sidebar counts the same megabytes and shows no error of its own.
    uploader = " ".join(page.locator(SIDEBAR).locator('[data-testid="stFileUploader"]')
                        .inner_text().split())
    assert "big.csv 10.0MB" in uploader and "Error" not in uploader, uploader
    # Under the uploader, a line points to the message (a phone's open sidebar covers it).
    assert page.locator(SIDEBAR).get_by_text(
        "This file is not used: the message on the page says why.").count() == 1
    screenshot(page, screenshot_dir, "upload_too_large")


def test_a_broken_file_says_to_fix_the_file_not_a_setting(page: Any, tmp_path: Path) -> None:
    bad = tmp_path / "words.csv"
    bad.write_text("x,y\n" + "".join(f"{i},{'many' if i == 7 else i * 2}\n" for i in range(40)))
    _choose_upload(page)
    message = _upload(page, bad)
    assert "Column 'y' must hold numbers only" in message, message
    assert "Change the setting named above" not in message, message
    assert message.endswith("upload it again."), message


def test_the_missing_values_message_names_the_switch_the_sidebar_shows(
        page: Any, tmp_path: Path) -> None:
    holes = tmp_path / "holes.csv"
    holes.write_text("x,y\n" + "".join(f"{i},{'' if i % 10 == 3 else i * 2}\n"
                                       for i in range(40)))
    _choose_upload(page)
    message = _upload(page, holes)
    named = re.search(r"turn on '([^']+)'", message)
    assert named, message
    switch = page.locator(SIDEBAR).get_by_text(named.group(1), exact=True)
    assert switch.count() == 1, (named.group(1), page.locator(SIDEBAR).inner_text()[-600:])
    switch.click()  # doing what it says trains without those rows
    wait_for_app(page)
    page.locator(MAIN).get_by_text("Dropped 4 row(s) with missing or infinite values.").wait_for(
        state="visible", timeout=WAIT_MS)
    assert page.locator(MAIN).locator(ERROR_ALERT).count() == 0


# --- item 8 (c): the teacher link can be read whole in the sidebar ---------------------------

# Every text box of the link (one per line it wraps to) against the sidebar's and the code
# block's boxes, and whether the block scrolls sideways (text hidden past its right edge).
LINK_BOXES = """(sidebar) => {
    const bar = document.querySelector(sidebar).getBoundingClientRect();
    const block = document.querySelector(`${sidebar} [data-testid="stCode"]`);
    const pre = block.querySelector('pre');
    const code = block.querySelector('code');
    const box = pre.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(code);
    const lines = [...range.getClientRects()].filter(r => r.width > 0);
    return {
        sidebar: [bar.left, bar.right], block: [box.left, box.right],
        right: Math.max(...lines.map(r => r.right)), left: Math.min(...lines.map(r => r.left)),
        lines: new Set(lines.map(r => Math.round(r.top))).size,
        hidden: pre.scrollWidth - pre.clientWidth, text: code.innerText,
    };
}"""


@pytest.mark.parametrize("size", [(1280, 720), (1400, 1000)])
def test_the_teacher_link_is_readable_whole_in_the_sidebar(
        browser: Any, app_url: str, size: tuple[int, int], screenshot_dir: Path) -> None:
    width, height = size
    with fresh_context_page(browser, app_url, WAIT_MS,
                            viewport={"width": width, "height": height}) as page:
        # A long link: changed settings and hidden controls.
        open_page(page, "/regression?function=sine&n_points=50&method=mc_dropout&dropout=0.2"
                        "&hide=seed,lr,steps,hidden")
        page.locator(SIDEBAR).get_by_text("Teacher link", exact=True).click()
        page.locator(f'{SIDEBAR} [data-testid="stCode"]').wait_for(state="visible")
        wait_for_app(page)
        page.locator(f'{SIDEBAR} [data-testid="stCode"]').scroll_into_view_if_needed()
        shot = screenshot_dir / f"teacher_link_{width}x{height}.png"
        screenshot_dir.mkdir(exist_ok=True)
        page.locator(SIDEBAR).screenshot(path=str(shot))
        seen = page.evaluate(LINK_BOXES, SIDEBAR)
        assert "dropout=0.2" in seen["text"] and "hide=" in seen["text"], seen
        assert seen["hidden"] <= 1, f"{seen['hidden']} px of the link are scrolled out of view"
        left, right = seen["block"]
        assert left - 1 <= seen["left"] and seen["right"] <= right + 1, seen
        assert seen["right"] <= seen["sidebar"][1], seen
        assert seen["lines"] >= 2, seen  # it wraps rather than running off the edge


# --- item 8 (d, e): the calibration methods views show what they promise ---------------------

PANEL_TITLES = """(chart) => [...document.querySelectorAll(`${chart} .annotation-text`)]
    .map(el => el.textContent)"""


def _set_sizes(titles: list[str]) -> list[int]:
    """Classes in each "true 3 · set {3, 5}" title of the largest-sets panel."""
    sets = [re.search(r"set \{([^}]*)\}", t) for t in titles]
    return [len([c for c in m.group(1).split(",") if c.strip()]) for m in sets if m]


def test_the_largest_sets_panel_shows_a_larger_set_or_says_why_there_is_none(
        page: Any, screenshot_dir: Path) -> None:
    open_page(page, "/calibration?view=conformal")
    chart = ".st-key-calibration-largest_fig"
    page.locator(f"{chart} {CHART}").wait_for(state="visible", timeout=WAIT_MS)
    sizes = _set_sizes(page.evaluate(PANEL_TITLES, chart))
    assert len(sizes) == 8, sizes
    main = " ".join(page.locator(MAIN).inner_text().split())
    screenshot(page, screenshot_dir, "calibration_conformal_default")
    if max(sizes) > 1:
        return
    # All sets hold one class (or none) at the default α: the page says so, from its numbers,
    # and offers the α at which larger sets appear.
    said = re.search(r"every test digit gets a single class.*? at α = 0\.1\b.*?"
                     r"[Ll]ower α to (0\.\d+) to see larger sets", main)
    assert said, f"All sets shown hold one class ({sizes}) and the page does not say why: " \
                 f"{main[-1500:]!r}"
    page.get_by_role("button", name=f"Lower α to {said.group(1)}").click()
    wait_for_app(page)
    page.wait_for_url(re.compile(rf"[?&]alpha={re.escape(said.group(1))}(&|$)"), timeout=WAIT_MS)
    page.locator(f"{chart} {CHART}").wait_for(state="visible", timeout=WAIT_MS)
    sizes = _set_sizes(page.evaluate(PANEL_TITLES, chart))
    assert min(sizes) >= 2, sizes  # every digit shown now has a set of two classes or more
    screenshot(page, screenshot_dir, "calibration_conformal_lower_alpha")


# Bounding boxes of every text drawn in a chart (titles, ticks, legend, labels). ``count``
# marks the count labels of the reliability diagrams: bar texts, or the annotations the figure
# names "count" (labcore.plots.calibrators.COUNT_LABEL).
TEXT_BOXES = """(chart) => {
    const gd = document.querySelector(`${chart} .js-plotly-plot`);
    const counted = new Set((gd.layout.annotations || []).flatMap(
        (a, i) => a.name === 'count' ? [String(i)] : []));
    return [...gd.querySelectorAll('text')]
        .filter(el => el.textContent.trim() && getComputedStyle(el).display !== 'none'
                      && el.getClientRects().length)
        .map(el => { const r = el.getBoundingClientRect();
                     const note = el.closest('g.annotation');
                     return {text: el.textContent, left: r.left, right: r.right, top: r.top,
                             bottom: r.bottom,
                             count: el.classList.contains('bartext')
                                 || (note !== null && counted.has(note.dataset.index))}; });
}"""


def _overlaps(boxes: list[dict[str, Any]], gap: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of labels closer than ``gap`` pixels side by side (touching reads as one number)."""
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if min(a["right"], b["right"]) - max(a["left"], b["left"]) > -gap
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5]


@pytest.mark.parametrize("size", [(1280, 720), (1400, 1000), (390, 844)])
def test_the_shootouts_count_labels_do_not_overlap(
        browser: Any, app_url: str, size: tuple[int, int], screenshot_dir: Path) -> None:
    width, height = size
    with fresh_context_page(browser, app_url, WAIT_MS,
                            viewport={"width": width, "height": height}) as page:
        open_page(page, "/calibration?view=calibrators")
        chart = ".st-key-calibration-shootout_fig"
        page.locator(f"{chart} {CHART}").scroll_into_view_if_needed()
        texts = page.evaluate(TEXT_BOXES, chart)
        labels = [t for t in texts if t["count"]]
        others = [t for t in texts if not t["count"]]
        screenshot_dir.mkdir(exist_ok=True)
        page.locator(chart).screenshot(path=str(screenshot_dir /
                                                f"shootout_counts_{width}x{height}.png"))
        assert len(labels) >= 7, labels  # a count in each of the 7 panels at least
        assert not _overlaps(labels), _overlaps(labels)
        # Nor does a count touch a tick, an axis title or a panel title. (On a phone the four
        # panels a row are narrower than their own tick labels: the next panel's ticks reach
        # into this one, whatever the counts do.)
        near = [(label["text"], other["text"]) for label in labels for other in others
                if _overlaps([label, other])]
        assert width < 600 or not near, near
        # What is written is readable: no label squeezed to less than 9 px tall on screen.
        squeezed = [(b["text"], round(b["bottom"] - b["top"], 1)) for b in labels
                    if b["bottom"] - b["top"] < 9]
        assert not squeezed, squeezed
