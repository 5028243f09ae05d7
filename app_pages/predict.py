"""Predict: pick a trajectory, choose the frames to hide, watch the model fill them, compare, download.

State: the mask lives in ``_mask_spec`` (SPEC syntax, as the CLI takes it) and in the URL's ``mask``
query parameter; the widgets (slider ``mask``, text ``spec``, presets, the timeline) only change it
through callbacks. The last run lives in ``_run`` so re-renders and downloads never re-run the model.
"""

import time
from functools import partial

import numpy as np
import streamlit as st

import kinviz
from kinviz_app import cache, charts, figures, guard, real, results, sections, words

ss = st.session_state
MAX_STEPS = 24  # drawing passes a request may ask for: 12 is the model's; more holds the model's one lock longer
PRESETS = {"interpolate": "Interpolate (middle third)", "forecast": "Forecast (last quarter)",
           "random": "Random frames", "none": "Only missing cells"}


# ----------------------------------------------------------------------------- source


def pick_source():
    """(source key, Trajectory): the upload when there is one, else the chosen example; None when unusable.
    The picker lists the bundled recordings, then the real tracker files, then a held-out recording that a
    link from Evaluate named (``cache.held_out_key``), drawn again from the benchmark's seed."""
    index, reals = cache.examples_index(), cache.real_index()
    names = index.name.tolist() + reals.name.tolist()
    family = {**dict(zip(index.name, index.family)), **dict.fromkeys(reals.name, real.FAMILY)}
    asked = (st.query_params.get("example") or "").removesuffix(".csv")
    if asked and asked != ss.get("_qp_example"):  # a link or an edited URL names an example
        ss["_qp_example"] = asked
        if asked not in names and cache.held_out_recording(asked) is not None:
            ss["_held_out"] = asked  # in the picker from now on in this session
        if asked in names or asked == ss.get("_held_out"):
            ss["_example"] = ss["example"] = asked
        else:
            st.warning(f"There is no bundled example called {words.quoted(asked)}; showing another one.")
    if "_held_out" in ss:
        names.append(ss["_held_out"])
        family[ss["_held_out"]] = "held-out, simulated"
    ss.setdefault("_example", names[0])
    if ss.get("example") not in names:
        ss["example"] = ss["_example"]

    left, right = st.columns(2)
    upload = right.file_uploader("…or upload a CSV or your tracker's file (it replaces the example)",
                                 type=None, key="upload",  # any file: the reader says why one is refused
                                 help="Columns time, x, y (one object), time, a_x, a_y, b_x, … (several) or "
                                      "time, object, x, y (long); or a DeepLabCut, SLEAP, TrackMate, Tracker or "
                                      "MOTChallenge file, filled and downloaded in its own format. "
                                      "Empty cells are missing and get filled.")
    min_confidence = right.number_input(
        "Minimum confidence", 0.0, 1.0, value=kinviz.DEFAULT_MIN_CONFIDENCE, step=0.05, key="min_confidence",
        help="Points of a DeepLabCut or SLEAP file with a lower likelihood or score are treated as missing "
             "and filled. 0.6 is DeepLabCut's pcutoff; 0 keeps every point.")
    name = left.selectbox("Bundled example", names, key="example", disabled=upload is not None,
                          format_func=lambda n: f"{n}  ·  {family[n]}")
    ss["_example"] = name
    if upload is not None:
        st.query_params.pop("example", None)
        try:
            results.check_size(upload.size)  # before a byte is parsed
            return (f"upload:{upload.file_id}:{min_confidence:g}",
                    cache.upload(upload.name, upload.getvalue(), float(min_confidence)))
        except kinviz.CSVError as e:
            st.error(words.plain(f"{upload.name}: {e}"))
            return None
    st.query_params["example"] = ss["_qp_example"] = name
    return f"example:{name}", cache.example(name)


def about_source(source_key: str) -> None:
    """Where a real tracker file comes from and what its scores mean; what a held-out recording is."""
    name = source_key.removeprefix("example:")
    for row in cache.real_index().query("name == @name").itertuples():
        st.info(real.attribution(row), icon=":material/description:")
    if name.startswith(cache.HELD_OUT_PREFIX + "/"):
        st.info("A simulated recording of the held-out test set, drawn again from the benchmark's seed as Evaluate "
                "drew it: the video model never trained on it.", icon=":material/science:")


# ----------------------------------------------------------------------------- mask


def default_spec(source_key: str, traj: kinviz.Trajectory) -> str:
    """A real tracker file: its preset (one part hidden where it was tracked); other files with gaps of their
    own: fill just those; complete files: hide the middle third."""
    preset = cache.preset(source_key.removeprefix("example:")) if source_key.startswith("example:") else None
    return preset or ("none" if traj.missing.any() else "interpolate")


def parse(spec: str, traj: kinviz.Trajectory) -> np.ndarray:
    """A SPEC for this file: (T,) frames, or (T, K) cells when it names parts (``Snout:3000-3060``)."""
    return kinviz.parse_mask(spec, traj.n_frames, seed=int(ss.get("seed", 0)), names=traj.names)


def set_mask(spec: str, traj: kinviz.Trajectory) -> None:
    """Validate a SPEC and make it the mask; a bad one leaves the mask and shows why."""
    try:
        mask = parse(spec, traj)
    except kinviz.MaskError as e:
        ss["_mask_error"] = str(e)
        return
    named = spec.strip().lower()
    ss["_mask_spec"] = named if named in PRESETS else (kinviz.format_mask(mask, traj.names) or "none")
    ss["_mask_auto"] = False
    ss.pop("_mask_error", None)


def hide_in_parts(frames: np.ndarray, traj: kinviz.Trajectory) -> None:
    """Hide ``frames`` (T,) in the parts picked in ``parts`` (every part when none or all are picked)."""
    parts = ss.get("parts") or traj.names
    if len(parts) >= traj.n_objects:
        set_mask(kinviz.format_mask(frames) or "none", traj)
    else:
        set_mask(kinviz.format_mask(frames[:, None] & np.isin(traj.names, parts)[None, :], traj.names) or "none", traj)


def on_slider(traj: kinviz.Trajectory) -> None:
    a, b = ss["mask"]
    frames = np.zeros(traj.n_frames, bool)
    frames[a : b + 1] = True
    hide_in_parts(frames, traj)


def on_preset(name: str, traj: kinviz.Trajectory) -> None:
    parts = ss.get("parts") or traj.names
    if len(parts) >= traj.n_objects:
        set_mask(name, traj)  # a named preset: 'random' follows the seed
    else:
        hide_in_parts(parse(name, traj), traj)


def on_timeline(frames_now: np.ndarray, traj: kinviz.Trajectory) -> None:
    """Box or lasso: hide exactly the selected frames (a box: every frame under it, drawn or not, as a long file's
    timeline draws one observed marker in a few). A single click: toggle that frame."""
    selection = ss["timeline"]["selection"]
    frames = charts.selected_frames(selection, len(frames_now))
    if not frames:
        return
    if len(frames) == 1 and not selection.get("box") and not selection.get("lasso"):
        new = frames_now.copy()
        new[frames[0]] = ~new[frames[0]]
    else:
        new = np.zeros_like(frames_now)
        new[frames] = True
    hide_in_parts(new, traj)


def short_spec(text: str, spec: str, frames: np.ndarray, limit: int = 120) -> str:
    """The hidden frames as typed, or, when that runs to lines, the task and the number of stretches."""
    if len(text) <= limit:
        return text
    runs = len(kinviz.mask_runs(frames))
    return f"{spec if spec in PRESETS else text[:limit] + '…'} in {runs} stretches"


def timeline(source_key: str, spec: str, traj: kinviz.Trajectory, mask: np.ndarray):
    """The timeline figure, made once per file and mask (a long file's has tens of thousands of points)."""
    key = (source_key, spec, int(ss.get("seed", 0)))
    if ss.get("_timeline", (None,))[0] != key:
        ss["_timeline"] = (key, charts.timeline_figure(traj, mask))
    return ss["_timeline"][1]


def choose_mask(source_key: str, traj: kinviz.Trajectory) -> tuple[str, np.ndarray]:
    """The mask widgets; returns (spec, mask (T,) frames or (T, K) cells) and keeps the URL in step."""
    T = traj.n_frames
    asked = st.query_params.get("mask")
    if asked is not None and asked != ss.get("_qp_mask"):  # a link or an edited URL sets the mask
        ss["_mask_spec"], ss["_mask_auto"] = asked, False
    elif ss.get("_mask_for") != source_key and ss.get("_mask_auto", True):
        ss["_mask_spec"] = None  # nobody chose the mask: a new file gets its own default
    spec = ss.get("_mask_spec") or default_spec(source_key, traj)
    ss["_mask_auto"] = ss.get("_mask_auto", True) and spec == default_spec(source_key, traj)
    try:
        mask = parse(spec, traj)
    except kinviz.MaskError as e:
        st.warning(f"The frames to hide {words.quoted(spec)} do not fit this file ({words.quoted(e, 80)}); "
                   f"hiding {words.quoted(default_spec(source_key, traj))} instead.")
        spec = default_spec(source_key, traj)
        mask = parse(spec, traj)
    ss["_mask_spec"] = ss["_qp_mask"] = st.query_params["mask"] = spec
    ss["_mask_for"], ss["_mask_seed"] = source_key, int(ss.get("seed", 0))
    frames = mask.any(axis=1) if mask.ndim == 2 else mask
    parts = [n for k, n in enumerate(traj.names) if mask.ndim == 1 or mask[:, k].any()] or list(traj.names)

    # Widgets show the current mask; their callbacks change it.
    hidden = np.flatnonzero(frames)
    ss["mask"] = (int(hidden[0]), int(hidden[-1])) if len(hidden) else (0, 0)  # nothing hidden: no range lit
    ss["spec"] = spec
    left, right = st.columns([3, 2])
    left.slider("Hide a range of frames", 0, T - 1, key="mask", on_change=on_slider, args=(traj,))
    right.text_input("…or type frames to hide", key="spec", on_change=lambda: set_mask(ss["spec"], traj),
                     help="0-based frames and inclusive ranges such as 5-9,14; a part's name before them hides "
                          "that part alone (Snout:3000-3060; names as the file writes them); or interpolate, "
                          "forecast, random; none hides nothing (cells missing in the file are always filled).")
    cols = st.columns(len(PRESETS))
    for col, (name, label) in zip(cols, PRESETS.items()):
        col.button(label, key=f"preset_{name}", on_click=on_preset, args=(name, traj), width="stretch",
                   type="primary" if spec == name else "secondary")
    if "_mask_error" in ss:
        st.error(words.plain(ss.pop("_mask_error")))
    if traj.n_objects > 1:  # hide some parts only: the others stay seen, and the fill can use them
        ss["parts"] = parts
        st.multiselect("Parts to hide in those frames", traj.names, key="parts",
                       on_change=hide_in_parts, args=(frames, traj),
                       help="Leave every part to hide whole frames. Pick some to hide only those while the "
                            "others stay seen, as when a tracker loses one body part.")
    st.plotly_chart(timeline(source_key, spec, traj, mask), key="timeline", on_select=partial(on_timeline, frames, traj),
                    selection_mode=("points", "box", "lasso"), config={"displayModeBar": False})
    n_missing = int(traj.missing.sum())
    which = "" if len(parts) == traj.n_objects else f" for {', '.join(parts)} only"
    st.caption(
        f"Hidden: **{short_spec(kinviz.format_mask(frames) or 'none', spec, frames)}**{which} "
        f"({int(frames.sum())} of {T} frames)"
        + (f"; the file's own {n_missing} missing cells (red) are filled too." if n_missing else ".")
        + " Drag a box on the timeline to hide those frames"
        + ("; click a frame to toggle it." if T * traj.n_objects <= charts.SHORT_TIMELINE else ".")
    )
    return spec, mask


# ----------------------------------------------------------------------------- run and results


# Run brings the live fill on screen when the page is scrolled so that Run sits at the window's edge: the least
# scroll that shows it ("nearest"), none when it is in view. A fixed script: nothing from the user goes in it.
SHOW_LIVE = "<script>document.querySelector('.st-key-live')?.scrollIntoView({block: 'nearest'})</script>"


# The same scroll at the click itself, in the browser, before the server has answered: scrolling when the run's
# first state arrives could come a frame after that state was painted off screen (seen under load, in CI). Installed
# once per page load (a document-wide listener: Streamlit may replace the button's element).
SCROLL_ON_RUN = ("<script>if (!window.__kinvizRunScroll) { window.__kinvizRunScroll = true; "
                 "document.addEventListener('click', e => { if (e.target.closest && e.target.closest('.st-key-run')) "
                 "document.querySelector('.st-key-live')?.scrollIntoView({block: 'nearest'}); }, true); }</script>")


def fill_slots():
    """Places for the fill in the scene, right under Run (on screen when it is pressed): what it shows under the
    seed and passes, the figure under Run, and a place for ``SHOW_LIVE`` (until then, ``SCROLL_ON_RUN``). Each is
    replaced as the model draws."""
    left, right = st.container(key="live").columns(2, vertical_alignment="center")
    chart, text, scroll = right.empty(), left.empty(), left.empty()
    scroll.html(SCROLL_ON_RUN, unsafe_allow_javascript=True)
    return chart, text, scroll


def show_words(slot, headline: str, words: str) -> None:
    with slot.container():  # always two elements: a shorter state would leave the longer one's last behind
        st.markdown(headline)
        st.caption(words)


def seen_cells(traj: kinviz.Trajectory, mask: np.ndarray) -> np.ndarray:
    """(T, K) bool: the cells the model is given (not hidden, not missing in the file)."""
    return ~traj.missing & ~(mask[:, None] if mask.ndim == 1 else mask)


def show_scene(slots, traj: kinviz.Trajectory, mask: np.ndarray) -> None:
    """Before a run: the scene with the path where it is seen, where the fill will be drawn."""
    chart, text, _ = slots
    chart.plotly_chart(figures.fill_figure(traj, seen_cells(traj, mask), np.full(traj.positions.shape, np.nan)),
                       key="live_scene", config={"displayModeBar": False})
    show_words(text, "**Press Run to fill the hidden frames**",
               "First the self-check tries every fill on seen stretches of your file shaped like its gaps; then the "
               "video model's drawing of the hidden points appears here as it is made, pass after pass, where it "
               "is asked for them. Lines: the path where it is seen.")


def run_model(predictor: kinviz.Predictor, source_key: str, traj: kinviz.Trajectory, spec: str, mask: np.ndarray,
              slots) -> None:
    """Decode, drawing in ``slots`` where the model puts the hidden points as it draws them (a few of its passes,
    ``kinviz.inference.videofill.PREVIEW_STAGES``, live); keep the run in state."""
    chart, text, scroll = slots
    seen = seen_cells(traj, mask)
    n_hidden = int((~seen).sum())
    context = "Lines: the path where it was seen."
    scroll.html(SHOW_LIVE, unsafe_allow_javascript=True)  # first: the states below are painted where they are seen
    chart.plotly_chart(figures.fill_figure(traj, seen, np.full(traj.positions.shape, np.nan)), key="live_start",
                       config={"displayModeBar": False})
    show_words(text, "**The self-check: every fill tried on seen stretches of your file…**",
               "Every candidate fill is tried on seen stretches of your file shaped like its gaps, and the closest "
               "fills each kind of gap; then the video model draws the hidden points here, where it is asked for "
               "them. " + context)

    def on_step(step, total, frame_indices, frames, estimate):  # called as the model draws, inside its lock: cheap
        drawn = int(np.isfinite(estimate).all(axis=-1).sum())
        chart.plotly_chart(figures.fill_figure(traj, seen, estimate), key=f"live_{step}", config={"displayModeBar": False})
        last = step + 1 == total
        show_words(text, f"**Drawing the hidden frames: pass {step + 1} of {total}**"
                         + (" · next, the other fills…" if last else ""),
                   f"Dots: where the video model's drawing puts {drawn} of the {n_hidden} hidden points so far (one "
                   "of its drawings; the self-check's choice fills each gap). " + context)

    start = time.perf_counter()
    pred = predictor.predict(traj, mask, seed=int(ss["seed"]), steps=int(ss["steps"]), on_step=on_step, compare=True)
    predicted = time.perf_counter()
    show_words(text, "**Scoring every fill and drawing the videos…**", context)
    ss["_run"] = results.build_run(pred, source=source_key, spec=spec, meta=predictor.meta, device=predictor.device)
    guard.log.info("run done in %.2f s: %d frames x %d objects, %d cells filled; prediction %.2f s, scoring and "
                   "drawing %.2f s", time.perf_counter() - start, traj.n_frames, traj.n_objects, int(pred.filled.sum()),
                   predicted - start, time.perf_counter() - predicted)
    del pred
    scroll.empty()
    guard.release_memory()


def show_filled(slots, run: results.Run) -> None:
    """The run's fill where the live drawing was: it stays on screen after the run, and on every rerun."""
    chart, text, _ = slots
    chart.plotly_chart(run.figure("fill", ()), key="live_fill", config={"displayModeBar": False})
    show_words(text, "**Done: the fill, in the scene**",
               f"Dots: kinviz's fill, as scored and downloaded below: "
               f"{words.composition_words(run.prediction.composition())}. Lines: the path where it was seen.")


def main() -> None:
    st.title("Predict")
    predictor = cache.predictor()

    st.subheader("1 · Choose a trajectory")
    picked = pick_source()
    if picked is None:
        return
    source_key, traj = picked
    st.caption(f"**{traj.source_name}**: {traj.n_frames} frames, {words.objects_words(traj.names)}, "
               f"{int(traj.missing.sum())} missing cells.")
    for note in traj.warnings:
        st.info(note, icon=":material/info:")
    about_source(source_key)

    st.subheader("2 · Choose the frames to hide")
    spec, mask = choose_mask(source_key, traj)

    st.subheader("3 · Fill them in")
    fill(predictor, source_key, traj, spec, mask)


@st.fragment
def fill(predictor: kinviz.Predictor, source_key: str, traj: kinviz.Trajectory, spec: str, mask: np.ndarray) -> None:
    """Run and the results. A fragment: pressing Run or changing what the results show reruns this part
    alone, not the choice of file and frames above it (which passes its latest choice in)."""
    with guard.shield():
        _fill(predictor, source_key, traj, spec, mask)


def _fill(predictor: kinviz.Predictor, source_key: str, traj: kinviz.Trajectory, spec: str, mask: np.ndarray) -> None:
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    # persist_state: a refused upload (which ends the page early) or a visit to another page keeps them.
    c1.number_input("Seed", 0, 2**31 - 1, step=1, key="seed", help="Same seed, same prediction.",
                    persist_state="session")
    c2.number_input("Drawing passes", 1, MAX_STEPS, min(int(predictor.meta.get("decoding", {}).get("steps", 12)), MAX_STEPS),
                    step=1, key="steps", persist_state="session",
                    help="How many passes the model takes to draw the hidden frames, a few more of them each pass. "
                         "The default is the model's own; fewer is faster and rougher.")
    if spec == "random" and int(ss["seed"]) != ss.get("_mask_seed"):
        st.rerun()  # the random frames follow the seed: draw them again above, with the whole page
    pressed = False
    if not mask.any() and not traj.missing.any():
        c3.button("Run", key="run", type="primary", disabled=True, help="Hide some frames first.")
        st.info("Nothing to fill: hide some frames first.")
    else:
        pressed = c3.button("Run", key="run", type="primary", width="stretch")
    slots = fill_slots()
    if pressed:
        run_model(predictor, source_key, traj, spec, mask, slots)
        drawn = time.perf_counter()

    run = ss.get("_run")
    if run is None or run.source != source_key:
        if mask.any() or traj.missing.any():
            show_scene(slots, traj, mask)
    else:
        show_filled(slots, run)
        seed = int(ss["seed"])
        notice = st.empty()  # always there, filled or not: a notice that came and went would shift every element
        # after it, and Chromium would draw each of their plots again from nothing (1.4 s on a 7,200-frame file)
        if run.spec != spec:
            notice.info(f"These results are for the frames {words.quoted(run.spec)}. Press Run to fill "
                    f"{words.quoted(spec)}.")
        elif run.prediction.seed != seed:
            notice.info(f"These results are for seed {run.prediction.seed}. Press Run to fill the same frames with "
                    f"seed {seed}.")
        sections.show_results(run)
        if pressed:  # the results' share of Run on the server (the browser draws them after)
            guard.log.info("results sent in %.2f s after the run", time.perf_counter() - drawn)


guard.page(main)
