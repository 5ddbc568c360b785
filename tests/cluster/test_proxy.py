"""What nginx must pass through: uploads, downloads, a class's own host name, and protection.

- A browser uploads a CSV and downloads a result through nginx: the upload, the websocket
  and the download all live in one replica's memory, so all its requests must reach it.
- A websocket whose Host and Origin name the class's server (not localhost) is accepted:
  nginx forwards Host as the browser sent it, and Streamlit's Origin check stays on.
- XSRF protection stays on: an upload without the token is refused.
- Streamlit's JavaScript goes out compressed to a browser that accepts it: a class's browsers
  all load it at once over the room's network, and Streamlit sends it uncompressed.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labserve.cluster import (
    ROUTE_COOKIE,
    STICKY_COOKIE,
    Cluster,
    http_get,
    replica_name,
    uid_from_cookie,
)
from labserve.protocol import CookieJar, RunTimes, connect, run_sync

pytestmark = pytest.mark.cluster
WAIT_MS = 120_000
ROWS = 40
UPLOAD = "/_stcore/upload_file/"


def _csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, ROWS)
    y = 1.5 * x + 0.3 * rng.standard_normal(ROWS)
    path = tmp_path / "class.csv"
    path.write_text("x,y\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in zip(x, y, strict=True)))
    return path


def _wait_for_app(page: Any) -> None:
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)
    page.wait_for_selector(".js-plotly-plot", state="visible", timeout=WAIT_MS)
    page.wait_for_timeout(500)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


@pytest.mark.e2e
def test_a_browser_uploads_and_downloads_through_nginx_on_one_replica(
        cluster: Cluster, browser: Any, tmp_path: Path) -> None:
    logged = len(cluster.access_log())
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{cluster.url}/regression?steps=100", wait_until="commit")
        page.get_by_text("My CSV file (x, y)", exact=True).click(timeout=WAIT_MS)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(_csv(tmp_path)))
        _wait_for_app(page)
        assert f"Preview of class.csv ({ROWS} rows)" in page.locator(
            '[data-testid="stMain"]').inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
        with page.expect_download(timeout=WAIT_MS) as download:
            page.get_by_role("button", name="Download the bands (CSV)").click()
        lines = Path(download.value.path()).read_text().splitlines()
        cookies = {c["name"]: c["value"] for c in context.cookies()}
    finally:
        context.close()

    assert lines[0].split(",")[:3] == ["x", "pred_mean", "aleatoric_std"]  # no truth: own data
    assert len(lines) > 100
    key = uid_from_cookie(cookies[STICKY_COOKIE])
    mine: list = []
    for _ in range(100):  # the websocket is logged once the closed context has hung up
        mine = [e for e in cluster.access_log()[logged:] if e.key == key]
        if any(e.uri == "/_stcore/stream" for e in mine):
            break
        time.sleep(0.1)
    assert mine[0].uri == "/regression?steps=100"  # the first request, before any cookie
    uploads = [e for e in mine if e.method == "PUT" and e.uri.startswith(UPLOAD)]
    assert uploads and all(e.status < 300 for e in uploads)
    assert any(e.uri.startswith("/media/") and e.status == 200 for e in mine)  # the download
    assert any(e.uri == "/_stcore/stream" and e.status == 101 for e in mine)
    assert len({e.upstream for e in mine}) == 1  # every request of the browser: one replica


async def _foreign_host(port: int) -> RunTimes:
    host = f"classroom.example:{port}"  # the class's server name, not a localhost name
    async with connect(f"ws://{host}/_stcore/stream", address=("127.0.0.1", port),
                       headers={"Origin": f"http://{host}"}) as session:
        return await session.open("regression", "seed=105&steps=100")


def test_a_class_host_name_passes_streamlits_origin_check(cluster: Cluster) -> None:
    run = run_sync(_foreign_host(cluster.port))
    assert run.error == ""
    assert run.charts > 0


def test_health_answers_through_nginx_and_hands_out_the_sticky_cookies(cluster: Cluster) -> None:
    logged = len(cluster.access_log())
    status, headers, body = http_get(f"{cluster.url}/_stcore/health")
    assert (status, body) == (200, b"ok")
    set_cookies = headers.get("set-cookie", [])
    sticky = [c for c in set_cookies if c.startswith(f"{STICKY_COOKIE}=")]
    assert len(sticky) == 1
    assert "path=/" in sticky[0] and "httponly" in sticky[0].lower()
    # The routing cookie names the replica that answered, so the next request goes there.
    route = [c for c in set_cookies if c.startswith(f"{ROUTE_COOKIE}=")]
    assert len(route) == 1 and "httponly" in route[0].lower()
    value = route[0].split(";")[0].removeprefix(f"{ROUTE_COOKIE}=")
    health: list = []
    for _ in range(50):
        health = [e for e in cluster.access_log()[logged:] if e.uri == "/_stcore/health"]
        if health:
            break
        time.sleep(0.1)
    entry = health[0]
    assert value == replica_name(cluster.replica_at(entry.upstream).index)
    assert cluster.replica_for(f"{ROUTE_COOKIE}={value}").address == entry.upstream


def test_an_upload_without_the_xsrf_token_is_refused(cluster: Cluster) -> None:
    request = urllib.request.Request(f"{cluster.url}{UPLOAD}session/file", data=b"x,y\n1,2\n",
                                     method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


def _put(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (ConnectionError, urllib.error.URLError):
        return -1  # refused before the whole body was sent; the access log has the status


def _multipart(size: int) -> tuple[bytes, str]:
    """A form with one CSV file of about ``size`` bytes, as the browser's uploader sends it."""
    boundary = uuid.uuid4().hex
    rows = b"x,y\n" + b"1.0,2.0\n" * (size // 8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"uploadedFile\"; "
            f"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    return body + rows + f"\r\n--{boundary}--\r\n".encode(), boundary


async def _uploads(cluster: Cluster) -> tuple[int, int, str]:
    """A session's uploads of 10 MB and 64 MB, sent as its browser would (cookies, token):
    their statuses and the session's id."""
    jar = CookieJar()
    async with connect(cluster.ws_url, cookies=jar) as session:
        await session.open("")
        _, headers, _ = await asyncio.to_thread(
            http_get, f"{cluster.url}/_stcore/health", {"Cookie": jar.header()})
        jar.update(headers.get("set-cookie", []))
        statuses = []
        for size in (10_000_000, 64_000_000):
            body, boundary = _multipart(size)
            sent = {"Cookie": jar.header(), "X-Xsrftoken": jar.get("_streamlit_xsrf") or "",
                    "Content-Type": f"multipart/form-data; boundary={boundary}"}
            url = f"{cluster.url}{UPLOAD}{session.session_id}/{uuid.uuid4().hex}"
            statuses.append(await asyncio.to_thread(_put, url, body, sent))
        return statuses[0], statuses[1], session.session_id


def test_nginx_passes_uploads_up_to_streamlits_limit_and_refuses_larger(cluster: Cluster) -> None:
    logged = len(cluster.access_log())
    within, beyond, session_id = run_sync(_uploads(cluster))
    # 10 MB: above nginx's default 1 MB and the lab's own 5 MB (the page then says so), within
    # Streamlit's 50 MB: stored. 64 MB: above nginx's 60 MB, refused there.
    assert within == 204
    assert beyond in (413, -1)
    time.sleep(0.3)
    # This session's uploads only: nginx may log an earlier test's request after ``logged``.
    entries = [e for e in cluster.access_log()[logged:]
               if e.uri.startswith(f"{UPLOAD}{session_id}/")]
    assert (entries[1].status, entries[1].upstream) == (413, "")  # nginx refused it itself


def test_nginx_sends_streamlits_javascript_compressed(cluster: Cluster) -> None:
    status, _, page = http_get(cluster.url + "/")
    assert status == 200
    script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', page.decode())
    assert script is not None, page[:500]
    url = f"{cluster.url}/{script[1]}"
    _, plain_headers, plain = http_get(url)  # a client that does not accept gzip
    status, headers, body = http_get(url, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert "content-encoding" not in plain_headers
    assert headers.get("content-encoding") == ["gzip"]
    assert gzip.decompress(body) == plain
    assert len(body) < 0.5 * len(plain), (len(body), len(plain))
