"""The whole path a person takes, in a real browser: `streamlit run app.py` driven by Debian's Chromium.

Issue 4: open /predict?mask=5-9, upload a CSV, run, download, and find frames 5-9 filled and
flagged; every page renders without an exception (screenshots go to artifacts/screenshots/).
Issue 5: twenty malformed uploads in one session each get a message, the server stays up, and the
next good upload still predicts.
Issue 14: a deep link on a fresh server comes up in the router's own navigation; the download keeps
every measurement and puts the model's values for hidden ones in `_pred` columns; the uncertainty
band shows; settings survive a bad upload. Screenshots go under artifacts/screenshots/ (ignored by git):
the suite never writes a tracked file; `KINVIZ_DOCS_SCREENSHOTS=1 pytest -m browser` also refreshes the
README's docs/overview.png and docs/predict.png.
Issue 23: the fill is drawn live under Run, on screen at 1280 x 800, and stays after the run; a newcomer's
walk finds the Overview's figure measured again by Evaluate's defaults, plain words, URL text shown as text.

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (the server inherits the environment).
Run alone with `pytest -m browser`. Long files and a large real file: test_browser_large.py; shared
helpers: browserhelp.py; the server, browser and page fixtures: conftest.py.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from browserhelp import (  # first: puts scripts/ on sys.path for appserver
    PAGES, PAGE_S, RUN_S, assert_no_exception, open_page, run_prediction, settle, snapshot, upload,
)
from browserhelp import server_log_clean  # noqa: E402,F401  (autouse: the server logs no traceback)
import kinviz  # noqa: E402
from kinviz.core.trajectory import MAX_FRAMES, MAX_OBJECTS  # noqa: E402
from kinviz_app import results, style  # noqa: E402
from appserver import (  # noqa: E402
    CHROMIUM, DOWNLOAD_BUTTON, EXCEPTION, FRESH_ERROR, RUN_BUTTON, healthy, projectile_csv,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"needs Debian's chromium at {CHROMIUM} (apt install chromium)"
    ),
]


# ----------------------------------------------------------------------------- issue 4: the main path


def test_a_deep_link_gets_the_router(server, page):
    """A shared link opened on a fresh server must run app.py, not Streamlit's pages/ fallback.

    Streamlit runs pages/<name>.py on its own (MPA v1: no set_page_config, a nav listing 'app')
    until some session has run app.py's st.navigation. Keep this test first: it needs a server that
    has not served '/' yet.
    """
    page.goto(f"{server.url}/predict?mask=5-9")
    # The first run imports torch on a fresh server; it is the only run: no hand-over rerun.
    expect(page.get_by_role("link", name="Overview")).to_be_visible(timeout=PAGE_S * 1000)  # app.py's, in the top bar
    expect(page.get_by_role("heading", name="Predict", exact=True)).to_be_visible(timeout=PAGE_S * 1000)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # never the legacy listing of pages/
    expect(page.get_by_role("link", name="app", exact=True)).to_have_count(0)
    settle(page, 0)
    expect(page.locator(".st-key-mask input[type=range]").last).to_have_value("9")  # the link's mask



def test_predict_upload_run_download(server, page, tmp_path):
    source = projectile_csv(24)
    # 12 frames: a gap the model fills (inner gaps under 9 frames are the smoother's alone)
    open_page(page, f"{server.url}/predict?mask=5-16")
    upload(page, "throw.csv", source)
    assert_no_exception(page, "after the upload")
    ends = page.locator(".st-key-mask input[type=range]")  # the range slider's two thumbs
    expect(ends).to_have_count(2)
    expect(ends.first).to_have_value("5")
    expect(ends.last).to_have_value("16")

    run_prediction(page)
    assert_no_exception(page, "after Run")
    expect(page.locator(".st-key-coords .legend")).to_contain_text("uncertainty")  # the band, switched in its legend
    assert page.locator(".st-key-coords .main-svg").count(), "the trajectory plot is drawn"
    expect(page.locator(".st-key-coords .legend")).to_contain_text(style.name("hold"))  # every fill, in the legend
    # The playback: a canvas the browser draws frame after frame from the positions; a click pauses it.
    canvas = page.locator("canvas[id^=kinviz-playback]")
    expect(canvas).to_have_count(1)
    first = canvas.get_attribute("data-frame")
    page.wait_for_function("f => document.querySelector('canvas[id^=kinviz-playback]').dataset.frame !== f", arg=first)
    assert page.evaluate("""() => { const c = document.querySelector('canvas[id^=kinviz-playback]');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < px.length; i += 4) if (px[i] < 200 && px[i + 1] < 200) return true; return false; }"""), \
        "the playback draws something besides white ground"
    canvas.click()
    paused = canvas.get_attribute("data-frame")
    page.wait_for_timeout(600)  # over four frames at its pace
    assert canvas.get_attribute("data-frame") == paused, "a click pauses the playback"
    canvas.click()  # and the next plays it again
    page.wait_for_function("f => document.querySelector('canvas[id^=kinviz-playback]').dataset.frame !== f", arg=paused)
    snapshot(page, "predict-results", docs="predict.png")
    with page.expect_download() as download:
        page.click(DOWNLOAD_BUTTON)
    path = tmp_path / "filled.csv"
    download.value.save_as(path)

    # No measurement changed, hidden or not; the model's values for frames 5-16 sit in `_pred` columns.
    out, src = pd.read_csv(path, dtype=str), pd.read_csv(io.StringIO(source), dtype=str)
    assert list(out.columns) == ["time", "x", "y", "x_pred", "y_pred", "predicted", "filled_by"]
    pd.testing.assert_frame_equal(out[["time", "x", "y"]], src)
    hidden = out.index.isin(range(5, 17))
    assert out["predicted"].astype(int).tolist() == hidden.astype(int).tolist()
    assert out.loc[hidden, ["x_pred", "y_pred"]].notna().all().all() and out.loc[~hidden, ["x_pred", "y_pred"]].isna().all().all()
    assert np.isfinite(out.loc[hidden, ["x_pred", "y_pred"]].astype(float).to_numpy()).all()

    # Another seed and Run: one playback canvas, playing at its own pace (no second timer on it: a session of many
    # reruns and Runs would otherwise play ever faster).
    token = page.runs.requests
    page.locator(".st-key-seed input").fill("1") or page.locator(".st-key-seed input").press("Enter")
    settle(page, token)
    run_prediction(page)
    changes, canvases = page.evaluate(PLAYBACK_PACE_JS)
    assert canvases == 1 and 5 <= changes <= 10, (changes, canvases)  # 8 frames a second


# How many frames the playback plays in one second, and how many playback canvases the page holds.
PLAYBACK_PACE_JS = """async () => { const canvas = () => document.querySelector('canvas[id^=kinviz-playback]');
  const first = Number(canvas().dataset.tick); await new Promise(r => setTimeout(r, 1000));
  return [Number(canvas().dataset.tick) - first, document.querySelectorAll('canvas[id^=kinviz-playback]').length]; }"""


# Every change of the live fill under Run (issue 23), recorded in the page as it happens: its headline, where it
# lies in the window when it is next painted, and how many dots its chart shows. A poll from the test could miss a
# state the model drew.
WATCH_LIVE_JS = """() => {
  window.__live = [];
  const seen = () => {
    const el = document.querySelector('.st-key-live');
    const head = el && el.querySelector('[data-testid=stMarkdownContainer] strong');
    if (!head) return;
    const box = el.getBoundingClientRect(), text = head.innerText;
    const dots = el.querySelectorAll('.scatterlayer .trace:nth-child(2) .point').length;
    const last = window.__live[window.__live.length - 1];
    if (last && last.text === text) { last.dots = Math.max(last.dots, dots); return; }
    window.__live.push({text, top: box.top, bottom: box.bottom, height: window.innerHeight, dots});
  };
  // measured at the frame the browser paints next, as a person would see it (scripts of the same update have run)
  new MutationObserver(() => requestAnimationFrame(seen)).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


class LiveMessages:
    """The live fill as the server sent it: each headline and each scene's dots, read from Streamlit's
    websocket messages. Every message arrives however busy the machine; the browser may paint only some."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.headlines: list[str] = []
        self.dots: list[int] = []
        self._msg = ForwardMsg
        page.on("websocket", lambda ws: ws.on("framereceived", self._received))

    def _received(self, payload) -> None:
        if isinstance(payload, str):
            return
        try:
            msg = self._msg.FromString(payload)
        except Exception:  # not one of Streamlit's messages
            return
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "markdown" and re.search(r"pass \d+ of \d+|^\*\*Done", element.markdown.body):
            self.headlines.append(element.markdown.body)
        elif kind == "plotly_chart" and "hidden, as drawn" in element.plotly_chart.spec:
            traces = json.loads(element.plotly_chart.spec)["data"]
            self.dots.append(len(traces[-1].get("x") or []))


def test_the_fill_is_drawn_live_under_run_and_stays(server, page):
    """A first visit at 1280 x 800, scrolled just far enough to see Run: pressing it shows, right under it and on
    screen, where the model puts the hidden points as it draws them (pass after pass, not replayed afterwards),
    and the fill stays there after the run and after a rerun of the results."""
    page.set_viewport_size({"width": 1280, "height": 800})
    sent = LiveMessages(page)  # before the page opens its websocket: the listener sees only sockets opened after it
    open_page(page, f"{server.url}/predict")
    page.evaluate(WATCH_LIVE_JS)
    page.wait_for_function("window.__kinvizRunScroll === true")  # Run scrolls the live fill into view at the click
    page.locator(RUN_BUTTON).evaluate("b => b.scrollIntoView({block: 'end'})")  # scrolled just far enough to see Run
    run_prediction(page)
    assert_no_exception(page, "after Run")
    passes = [h for h in sent.headlines if re.search(r"pass \d+ of \d+", h)]
    assert len(set(passes)) >= 2, f"the live fill changed fewer than twice: {sent.headlines}"
    assert any(sent.dots), f"no hidden point drawn while decoding: {sent.dots}"
    assert sent.headlines[-1].startswith("**Done"), sent.headlines
    states = page.evaluate("window.__live")  # what the browser painted: wherever it was, it was on screen
    for s in (s for s in states if not s["text"].startswith("Press Run")):  # the placeholder before Run may sit below
        assert 0 <= s["top"] and s["bottom"] <= s["height"] + 1, f"the live fill is off screen: {s}"  # 1: sub-pixel

    live = page.locator(".st-key-live")
    expect(live).to_contain_text("Done: the fill")
    box = live.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 801, f"the fill left the screen after the run: {box}"
    assert live.locator(".scatterlayer .trace:nth-child(2) .point").count() > 0, "the fill's dots"
    token = page.runs.requests
    page.locator(".st-key-strip input[type=range]").press("ArrowRight")  # a rerun of the results alone
    settle(page, token)
    expect(live).to_contain_text("Done: the fill")
    assert live.locator(".scatterlayer .trace:nth-child(2) .point").count() > 0
    snapshot(page, "predict-live")


def test_a_new_seed_draws_the_random_frames_again(server, page):
    """Run and the results rerun on their own (a fragment), but the seed also draws a random mask,
    which lies above them: changing it must redraw the mask the page shows and fills."""
    frames = kinviz.load_csv(kinviz.EXAMPLES_DIR / "pendulum-01.csv").n_frames
    open_page(page, f"{server.url}/predict?example=pendulum-01&mask=random")
    for seed in (0, 3):
        if seed:
            token = page.runs.requests
            page.locator(".st-key-seed input").fill(str(seed))
            page.locator(".st-key-seed input").press("Enter")
            settle(page, token)
        expected = kinviz.format_mask(kinviz.parse_mask("random", frames, seed=seed))
        caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Hidden:").inner_text()
        assert expected in caption.replace(" ", ""), (seed, expected, caption)
    run_prediction(page)
    assert_no_exception(page, "after Run")
    assert "These results are for" not in page.locator('[data-testid="stMain"]').inner_text()


def test_a_deeplabcut_upload_downloads_filled_in_its_own_format(server, page, tmp_path):
    """Issue 15: a tracker's own file in, filled, and back out as the same DeepLabCut CSV."""
    source = (kinviz.FORMATS_DIR / "deeplabcut-pucks.csv").read_text()
    open_page(page, f"{server.url}/predict")
    upload(page, "reach.csv", source)
    assert_no_exception(page, "after the DeepLabCut upload")
    run_prediction(page)
    with page.expect_download() as download:
        page.click(DOWNLOAD_BUTTON)
    path = tmp_path / "filled.csv"
    download.value.save_as(path)
    got = path.read_text()
    for mine, theirs in zip(got.splitlines()[:3], source.splitlines()[:3]):  # added columns (_tracker) come after
        assert mine.startswith(theirs), "DeepLabCut's header lines, as uploaded"
    before, after = kinviz.load_track(source), kinviz.load_track(got)
    assert before.missing.any() and not after.missing.any()
    observed = ~before.missing
    assert np.array_equal(after.positions[observed], before.positions[observed])


def test_every_page_renders(server, page):
    for name, path in PAGES.items():
        open_page(page, f"{server.url}/{path}")
        assert_no_exception(page, f"page /{path}")
        assert page.locator('[data-testid="stMain"]').inner_text().strip(), f"page /{path} is blank"
        snapshot(page, name, docs="overview.png" if name == "home" else None)


# ----------------------------------------------------------------------------- issue 5: bad input


def _table(rows: list[str]) -> str:
    return "\n".join(rows) + "\n"


def _bad_uploads() -> dict[str, bytes | str]:
    """Twenty-odd files a person might hand the app by mistake, each refused by the reader."""
    good = projectile_csv(24).splitlines()
    header, rows = good[0], good[1:]
    many = ",".join(f"o{k}_x,o{k}_y" for k in range(MAX_OBJECTS + 1))
    return {
        "empty.csv": b"",
        "blank-lines.csv": "\n\n   \n\n",
        "header-only.csv": "time,x,y\n",
        "three-rows.csv": _table([header, *rows[:3]]),
        "web-page.csv": "<!DOCTYPE html><html><body><table><tr><td>time</td><td>x</td></tr></table></body></html>\n",
        "json-inside.csv": json.dumps({"time": [0, 1, 2, 3, 4], "x": [1, 2, 3, 4, 5], "y": [5, 4, 3, 2, 1]}),
        "track.json": json.dumps({"time": [0, 1, 2, 3, 4], "x": [1, 2, 3, 4, 5]}),  # any file reaches the reader now
        "binary.csv": bytes(range(256)) * 8,
        "latin1.csv": _table(["time,x,y", *rows]).replace("time", "tíme").encode("latin-1"),
        "bom-garbage.csv": b"\xef\xbb\xbf" + bytes([0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1]) * 50,
        "text-in-x.csv": _table([header, *rows[:13], "0.65,abc,1.0", *rows[14:]]),
        "inf.csv": _table([header, *rows[:5], "0.25,inf,1.0", *rows[6:]]),
        "x-without-y.csv": _table(["time,x", *(r.rsplit(",", 1)[0] for r in rows)]),
        "no-time.csv": _table(["a,b,c", *rows]),
        "duplicate-times.csv": _table([header, *rows, rows[3]]),
        "ragged.csv": _table([header, *rows[:7], rows[7] + ",12", *rows[8:]]),
        "missing-time.csv": _table([header, *rows[:4], ",1.0,2.0", *rows[5:]]),
        "all-missing.csv": _table([header, *(f"{i * 0.05:.2f},," for i in range(24))]),
        "257-objects.csv": _table(["time," + many, *(f"{i}," + ",".join(["1.0"] * 2 * (MAX_OBJECTS + 1)) for i in range(24))]),
        "too-many-frames.csv": _table([header, *(f"{i},{i % 10}.5,1.0" for i in range(MAX_FRAMES + 1))]),
        "semicolon-mangled.csv": _table(["time;x;y", *(r.replace(",", ";").replace(".", ",") for r in rows)]),
        "duplicate-columns.csv": _table(["time,x,y,x", *(r + ",0" for r in rows)]),
        "huge-field.csv": _table([header, "0," + "9" * 200_000 + ",1", *rows[1:]]),
        "long-no-name.csv": _table(["time,object,x,y", *(f"{i},{'ball' if i != 6 else ''},1,2" for i in range(24))]),
        # Past the reader's 10 MB and Streamlit's maxUploadSize (10, in the uploader's decimal MB).
        # The name stays short: the uploader's file chip truncates long ones.
        "10.2-MB.csv": "time,x,y\n" + "0,1,2 " * 1_700_000,
    }


def _words(text: str) -> list[str]:
    """The words of a message that survive markdown rendering, for comparing shown text with raised text."""
    return [w.strip(".,:;()'\"") for w in text.split() if not re.search(r"[<>*_`\[\]#\\]", w)]


def _shown_error(page, words: list[str], timeout_s: float = 15) -> str | None:
    """None once a current st.error holds all `words`; else the error text shown at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        shown = " ".join(page.locator(FRESH_ERROR).all_inner_texts())
        if shown and all(w in shown for w in words):
            return None
        if time.monotonic() > deadline:
            return shown or "no error message"
        page.wait_for_timeout(100)


def test_bad_uploads_show_a_message_and_the_app_survives(server, page):
    bad = _bad_uploads()
    assert len(bad) >= 20

    # A mangled link is no reason for a traceback either.
    open_page(page, f"{server.url}/predict?mask=banana&example=no-such-example")
    assert_no_exception(page, "?mask=banana&example=no-such-example")
    open_page(page, f"{server.url}/predict?mask=5-9")

    problems = []
    for name, data in bad.items():
        raw = data.encode() if isinstance(data, str) else data
        with pytest.raises(kinviz.CSVError) as refused:  # the test data really is bad
            kinviz.load_csv(raw)
        by_uploader = upload(page, name, data)
        if page.locator(EXCEPTION).count():
            problems.append(f"{name}: exception on the page: {page.locator(EXCEPTION).first.inner_text()[:200]}")
        elif by_uploader:
            pass  # Streamlit's uploader refused it before the app saw it: that is a message too
        else:
            shown = _shown_error(page, _words(str(refused.value))[:8])
            if shown is not None:
                problems.append(f"{name}: shows {shown!r}, not the reader's message {str(refused.value)!r}")
        if not healthy(server.url):
            problems.append(f"{name}: the server stopped answering /_stcore/health")
            break
    assert not problems, "\n".join(problems)

    # The same session still works: a good file uploads and predicts, with the decoding steps it had.
    upload(page, "good.csv", projectile_csv(24))
    expect(page.locator(FRESH_ERROR)).to_have_count(0)  # the last bad file's error is gone
    expect(page.locator(".st-key-steps input")).to_have_value("12")
    run_prediction(page)
    assert_no_exception(page, "the good upload after the bad ones")


JARGON = ("MAGVIT-style", "cross-entropy", "nats", "EMA", "FSQ", "MaskGIT", "RTS", "s.d.", "decoding steps", "wide_named")


def test_a_newcomers_walk_finds_measured_claims_plain_words_and_safe_links(server, page):
    """Overview -> Evaluate -> Predict as a first-time visitor: the Overview's figure is what Evaluate's defaults
    measure again (occlude, the quickest task to score: the walk took 172 s of a 9-minute suite with interpolate's 22
    recordings); no jargon on the pages people start from; text from a link is shown, never followed."""
    [head] = [h for h in results.headlines(kinviz.read_meta()) if h["task"] == "occlude"] or [None]
    measured = head is not None and head["model"] is not None
    open_page(page, server.url)
    text = page.locator('[data-testid="stMain"]').inner_text()
    if measured:
        assert f"off by {head['model']:.1f} %" in text, "the Overview's occlusion figure, from the record"
    else:
        assert "not measured" in text or "no benchmark" in text, "a record without the figure says so"
    for name in ("", "predict", "examples"):
        if name:
            open_page(page, f"{server.url}/{name}")
            text = page.locator('[data-testid="stMain"]').inner_text()
        for word in JARGON:
            assert not re.search(rf"\b{re.escape(word)}(?!\w)", text), f"'{word}' on /{name}: it belongs on the Model page"

    open_page(page, f"{server.url}/evaluate")  # the defaults: held-out test set, seed 0; the task: occlude
    token = page.runs.requests
    page.locator(".st-key-task label").filter(has_text="occlude").click()
    settle(page, token)
    token = page.runs.requests
    page.click(".st-key-eval_run button")
    settle(page, token, RUN_S)
    assert_no_exception(page, "after Evaluate")
    shown = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert not measured or shown == f"{head['model']:.2f} %", (shown, head)
    snapshot(page, "evaluate-defaults")

    crafted = "[click me](https://evil.example)"
    open_page(page, f"{server.url}/predict?example={crafted}&mask=**[x](https://evil.example)**")
    assert_no_exception(page, "a crafted link")
    assert page.locator('[data-testid="stMain"] a[href*="evil.example"]').count() == 0, "a link injected from the URL"
    assert crafted in page.locator('[data-testid="stMain"]').inner_text(), "the link's text, shown as text"
    assert page.locator(".st-key-steps input").get_attribute("max") == "24", "drawing passes are capped"
