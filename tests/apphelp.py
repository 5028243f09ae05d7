"""Helpers shared by the app's tests (tests/test_app_*.py): the pages driven by widget key with
streamlit.testing.v1.AppTest, and the small files and predictions they are handed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the pages import kinviz and kinviz_app as `streamlit run app.py` would

import kinviz  # noqa: E402
from kinviz_app import results  # noqa: E402


TIMEOUT = 300  # seconds for one script run: the first loads the model on a busy CPU
PAGES = ["app_pages/home.py", "app_pages/predict.py", "app_pages/examples.py", "app_pages/evaluate.py", "app_pages/model.py"]


def open_app(page: str | None = None, **query) -> AppTest:
    """The router, optionally switched to ``page``, with URL query parameters set."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def open_predict(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app_pages" / "predict.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics_tables(at: AppTest) -> list:
    """Tables with methods as rows (AppTest keeps no key for read-only st.dataframe)."""
    return [d.value for d in at.dataframe if results.MODEL_LABEL in list(d.value.index)]


def csv_text(n: int = 24, gaps: tuple[int, ...] = ()) -> str:
    """A thrown ball, one object; frames in ``gaps`` have empty x and y (missing)."""
    t = np.arange(n) * 0.05
    rows = [f"{ti:.2f},," if i in gaps else f"{ti:.2f},{2 * ti:.4f},{3 * ti - 4.9 * ti**2:.4f}" for i, ti in enumerate(t)]
    return "time,x,y\n" + "\n".join(rows) + "\n"


def many_parts(T: int, K: int, seed: int = 0) -> kinviz.Trajectory:
    t = np.arange(T) / 30
    pos = np.stack([np.stack([300 + 200 * np.sin(t * (k + 1) * 0.7), 300 + 150 * np.cos(t * (k + 1) * 0.5)], -1)
                    for k in range(K)], 1)
    return kinviz.from_arrays(t, pos, [f"part{k}" for k in range(K)])



@pytest.fixture(scope="module")
def upload_with_gaps():
    """A prediction for a file with empty cells (frames 7-9) and frames 14-16 hidden on purpose."""
    traj = kinviz.load_csv(csv_text(24, gaps=(7, 8, 9)))
    mask = np.zeros(24, bool)
    mask[14:17] = True
    pred = kinviz.Predictor.load().predict(traj, mask, seed=0, compare=True)  # as the app asks
    return pred, kinviz.score(pred, with_video=False)
