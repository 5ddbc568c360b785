"""A student uploads a small 2-class CSV on the Classification page and sees its decision map."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.e2e
WAIT_MS = 120_000


def _csv(tmp_path) -> str:
    """60 rows: two Gaussian blobs (σ = 0.5, centres 4 apart) labelled "red" and "blue"."""
    rng = np.random.default_rng(7)
    rows = ["x1,x2,label"]
    for (cx, cy), label in (((-2.0, 0.0), "red"), ((2.0, 0.0), "blue")):
        pts = rng.normal((cx, cy), 0.5, size=(30, 2))
        rows += [f"{a:.4f},{b:.4f},{label}" for a, b in pts]
    path = tmp_path / "two_blobs.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_upload_a_two_class_csv_and_see_the_maps(browser, app_url, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/classification?view=map", wait_until="commit")
        page.get_by_text("My CSV file (x1, x2, label)", exact=True).click(timeout=WAIT_MS)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(_csv(tmp_path))
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                               timeout=WAIT_MS)
        page.wait_for_selector(".js-plotly-plot", state="visible", timeout=WAIT_MS)
        page.wait_for_timeout(500)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                               timeout=WAIT_MS)
        main = page.locator('[data-testid="stMain"]')
        text = main.inner_text()
        assert "Preview of two_blobs.csv (60 rows)" in text
        assert "2 classes (blue, red)" in text
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        # The map's training points are this file's points, named by its labels.
        names = page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')]"
            ".flatMap(gd => gd._fullData.map(d => d.name))")
        assert "training label blue" in names and "training label red" in names, names
    finally:
        context.close()
