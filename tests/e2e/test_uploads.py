"""Two students upload different CSV files at the same time; each sees only their own data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.e2e
WAIT_MS = 120_000


def _csv(tmp_path, name: str, n: int, slope: float) -> str:
    rng = np.random.default_rng(n)
    x = rng.uniform(-3, 3, n)
    y = slope * x + 0.3 * rng.standard_normal(n)
    path = tmp_path / name
    path.write_text("x,y\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in zip(x, y, strict=True)))
    return str(path)


def _upload(page: Any, url: str, path: str) -> None:
    page.goto(f"{url}/regression", wait_until="commit")
    page.get_by_text("My CSV file (x, y)", exact=True).click(timeout=WAIT_MS)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(path)


def _wait_for_chart(page: Any) -> None:
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)
    page.wait_for_selector(".js-plotly-plot", state="visible", timeout=WAIT_MS)
    page.wait_for_timeout(500)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def test_two_sessions_with_different_uploads_see_their_own_data(browser, app_url, tmp_path):
    files = {"alice": _csv(tmp_path, "alice.csv", 60, 2.0),
             "bob": _csv(tmp_path, "bob.csv", 90, -1.0)}
    contexts = {who: browser.new_context(viewport={"width": 1400, "height": 1000})
                for who in files}
    try:
        pages = {who: ctx.new_page() for who, ctx in contexts.items()}
        for who, page in pages.items():  # both uploads happen before either page is read
            _upload(page, app_url, files[who])
        for page in pages.values():
            _wait_for_chart(page)
        text = {who: page.locator('[data-testid="stMain"]').inner_text()
                for who, page in pages.items()}
        assert "Preview of alice.csv (60 rows)" in text["alice"]
        assert "bob.csv" not in text["alice"]
        assert "Preview of bob.csv (90 rows)" in text["bob"]
        assert "alice.csv" not in text["bob"]
        for page in pages.values():
            assert page.locator('[data-testid="stException"]').count() == 0
        # The training data drawn in each chart are that session's own points.
        counts = {
            who: page.evaluate(
                "() => { const gd = document.querySelector('.js-plotly-plot');"
                " const t = gd._fullData.find(d => d.name === 'training data');"
                " return t ? t._length : -1; }")
            for who, page in pages.items()
        }
        assert counts == {"alice": 36, "bob": 54}  # 60 % of 60 and of 90 rows train the model
    finally:
        for ctx in contexts.values():
            ctx.close()
