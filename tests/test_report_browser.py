"""The demo report in a real browser: headless Chromium through chromedriver (selenium).

Opens index.html over http on 127.0.0.1, checks the console holds no error, every plotly
chart is drawn (its div holds an SVG), and saves a screenshot to artifacts/report.png
(the CI artefact). Skips with a line saying why when selenium, chromium or chromedriver
is absent (`.ci/run` installs Debian's chromium and chromium-driver when it can).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import tempfile
import threading

import pytest

from tests.conftest import ROOT

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000")


def _browser() -> tuple[str, str]:
    pytest.importorskip("selenium", reason="selenium is not installed (the dev extra)")
    chrome = next((p for p in map(shutil.which, CHROMIUM) if p), None)
    driver = shutil.which("chromedriver")
    if not chrome or not driver:
        pytest.skip("no chromium / chromedriver on this machine (apt-get install chromium "
                    "chromium-driver); the browser test is skipped")
    return chrome, driver


@pytest.fixture
def served(demo_report):
    """The demo folder over http on 127.0.0.1 (an ephemeral port); yields the page URL."""
    handler = functools.partial(_Quiet, directory=str(demo_report))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


# ids of the plotly charts with no visible mark: bar paths (.barlayer), lines (path.js-line)
# and markers (path.point), each counted when its bounding box is not empty
_UNMARKED = (
    "return [...document.querySelectorAll('div.plotly-graph-div')].filter(d => ![...d.querySelectorAll("
    "'.barlayer path, .scatterlayer path.js-line, .scatterlayer path.point')]"
    ".some(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; })).map(d => d.id)")


def test_demo_report_draws_every_chart_without_console_errors(served):
    chrome, driver_path = _browser()
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    profile = tempfile.mkdtemp(prefix="infercost-chromium-")
    for f in (*FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(driver_path), options=opts)
    try:
        browser.set_page_load_timeout(30)
        browser.get(served)
        n_charts = browser.execute_script(
            "return document.querySelectorAll('div.plotly-graph-div').length")
        assert n_charts >= 6
        # every chart drawn: plotly puts its <svg class="main-svg"> into the div
        WebDriverWait(browser, 20).until(lambda b: b.execute_script(
            "return [...document.querySelectorAll('div.plotly-graph-div')]"
            ".every(d => d.querySelector('svg.main-svg'))"))
        undrawn = browser.execute_script(
            "return [...document.querySelectorAll('div.plotly-graph-div')]"
            ".filter(d => !d.querySelector('svg.main-svg')).map(d => d.id)")
        assert undrawn == []
        # every chart shows data: at least one bar, line or marker with a non-empty box (an
        # axis forced to the wrong type leaves the SVG there but every mark undrawn)
        with contextlib.suppress(TimeoutException):  # the assert below names the charts
            WebDriverWait(browser, 10).until(lambda b: b.execute_script(_UNMARKED) == [])
        assert browser.execute_script(_UNMARKED) == []
        # every chart has titled axes (xtitle / ytitle text elements)
        untitled = browser.execute_script(
            "return [...document.querySelectorAll('div.plotly-graph-div')]"
            ".filter(d => !d.querySelector('.xtitle') || !d.querySelector('.ytitle')).map(d => d.id)")
        assert untitled == []
        errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert errors == [], errors
        art = ROOT / "artifacts"
        art.mkdir(exist_ok=True)
        height = browser.execute_script("return document.body.scrollHeight")
        browser.set_window_size(1280, min(int(height) + 100, 16000))
        assert browser.save_screenshot(str(art / "report.png"))
        assert (art / "report.png").stat().st_size > 10_000
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
