"""Helpers shared by the browser tests (tests/test_browser*.py): driving the app's page in Chromium, and the
autouse check of the server's log. The session-wide fixtures (the server, the browser, a page) live in
tests/conftest.py, so that each worker process starts one server for all its browser modules.

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (the server inherits the environment).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from kinviz.videomodel.checkpoint import default_path  # noqa: E402,F401  (honours $KINVIZ_CHECKPOINT, as the app does)
from appserver import (  # noqa: E402,F401  (the fixtures in conftest.py take LAUNCH, RunCounter and streamlit_server)
    DOWNLOAD_BUTTON, DRAWN_JS, EXCEPTION, LAUNCH, RUN_BUTTON, SETTLED_JS, UPLOAD_INPUT, UPLOAD_REFUSED,
    RunCounter, streamlit_server, upload_payload,
)


SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# The README shows docs/overview.png and docs/predict.png: refreshed only on request, never by a plain run.
DOCS = ROOT / "docs" if os.environ.get("KINVIZ_DOCS_SCREENSHOTS") == "1" else None
PAGES = {"home": "", "predict": "predict", "examples": "examples", "evaluate": "evaluate", "model": "model"}
PAGE_S = 180  # a page's script run, the first one loading the model on a busy CPU
RUN_S = float(os.environ.get("KINVIZ_RUN_S", 300))  # one prediction on the CPU (a loaded machine: set it higher)


@pytest.fixture(autouse=True)
def server_log_clean(server):
    """The app turns unexpected exceptions into one-line errors, so the server log is where they show."""
    start = server.log.stat().st_size
    yield
    with open(server.log, errors="replace") as f:
        f.seek(start)
        text = f.read()
    assert "Traceback" not in text, f"the server logged a traceback during the test:\n{text[-3000:]}"



# ----------------------------------------------------------------------------- driving the page


def settle(page, token: int, timeout_s: float = PAGE_S, *, upload: str | None = None, or_shown=None) -> bool:
    """Wait until a run requested after `token` is over and the page is idle (see `RunCounter`).

    Returns True when the locator `or_shown` matched instead.
    """
    deadline = time.monotonic() + timeout_s
    while not page.runs.idle_after(token, upload):
        if or_shown is not None and or_shown.count():
            while page.runs.done != page.runs.requests:  # the uploader may rerun on its own
                assert time.monotonic() < deadline, f"the app did not settle within {timeout_s:.0f} s"
                page.wait_for_timeout(50)
            drawn(page)
            return True
        assert time.monotonic() < deadline, f"the app did not finish a run within {timeout_s:.0f} s"
        page.wait_for_timeout(50)
    drawn(page)
    return False


def drawn(page) -> None:
    """The run is over on the wire; wait until the page has drawn it too."""
    page.evaluate(DRAWN_JS)
    page.wait_for_function(SETTLED_JS)


def open_page(page, url: str) -> None:
    token = page.runs.requests
    page.goto(url)
    settle(page, token)


def upload(page, name: str, data) -> bool:
    """Upload a file; True when Streamlit's uploader refused it itself (size, type) and the app never saw it."""
    token = page.runs.requests
    page.set_input_files(UPLOAD_INPUT, upload_payload(name, data))
    refused = page.locator('[data-testid="stFileChip"]').filter(has_text=name).filter(has_text=UPLOAD_REFUSED)
    return settle(page, token, upload=name, or_shown=refused)


def run_prediction(page) -> None:
    token = page.runs.requests
    page.click(RUN_BUTTON)
    settle(page, token, RUN_S)
    page.wait_for_selector(DOWNLOAD_BUTTON)


def snapshot(page, name: str, docs: str | None = None) -> None:
    """Save the whole page (Streamlit scrolls inside stMain, so grow the viewport to fit) once plots are drawn;
    with ``docs``, also a copy 1000 pixels wide under docs/ for the README."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))",
        timeout=30_000,
    )
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 8000)})
    page.wait_for_timeout(500)  # let plots re-layout to the new size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    page.set_viewport_size(size)
    if docs and DOCS is not None:
        from PIL import Image

        DOCS.mkdir(exist_ok=True)
        image = Image.open(SCREENSHOTS / f"{name}.png").convert("RGB")
        image.resize((1000, round(image.height * 1000 / image.width)), Image.LANCZOS).save(DOCS / docs, optimize=True)


def assert_no_exception(page, where: str) -> None:
    shown = page.locator(EXCEPTION)
    assert shown.count() == 0, f"{where}: the page shows an exception: {shown.first.inner_text()[:500]}"
