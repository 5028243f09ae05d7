"""A real tracker file in a real browser (issue 31): the link to the bundled fly opens Predict on its per-part preset
and Run fills that part with no exception. Run alone with `pytest -m browser -k real`; needs Debian's chromium."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from appserver import CHROMIUM, EXCEPTION, RUN_BUTTON  # noqa: E402
from browserhelp import server_log_clean  # noqa: E402,F401  (autouse: no traceback in the server's log)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Debian's chromium at {CHROMIUM}")]
PAGE_S = 240  # the first script run loads the model on a busy CPU; the fly's fill takes about 20 s more


def test_the_fly_opens_on_its_preset_and_run_fills_that_leg(server, page):
    """On the worker's shared server and browser (tests/conftest.py): two Playwright instances in one process clash."""
    page.set_default_timeout(PAGE_S * 1000)
    page.goto(f"{server.url}/predict?example=eks-fly-legs")
    expect(page.locator(".st-key-spec input")).to_have_value("L1B:200-229", timeout=PAGE_S * 1000)
    expect(page.get_by_text("paninski-lab/eks").first).to_be_visible()
    page.locator(RUN_BUTTON).click()
    expect(page.get_by_text("Done: the fill, in the scene")).to_be_visible(timeout=PAGE_S * 1000)
    expect(page.get_by_text("30 cells").first).to_be_visible()
    assert page.locator(EXCEPTION).count() == 0
