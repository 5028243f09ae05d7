"""The Predict page's results, section by section: what filled the gaps and how close the self-check expects
it to be, the scores against ground truth, the downloads, the frame strip and the plots. Streamlit; the
numbers come from ``results`` and the sentences from ``words``, so the table and the words agree."""

from __future__ import annotations

import numpy as np

import streamlit as st

from kinviz_app import figures, results, scene, style, words

STRIP_FRAMES = 10  # frames in the frame strip at once, large enough to see (scrub with the slider beyond that)


def show_results(run: results.Run) -> None:
    st.subheader("Results")
    show_fill(run)
    show_scores(run)
    show_downloads(run)
    show_pictures(run)


def show_fill(run: results.Run) -> None:
    """What filled the gaps (the composition), the self-check's expected error and its table."""
    pred = run.prediction
    n_probes = len(pred.check.probes) if pred.check is not None else 0
    st.markdown(words.fill_words(pred.composition(), results.expected_error(pred), n_probes))
    for note in pred.notes:  # where the smoother could not be fitted, where the bounds held or moved the fill
        st.caption(f"{note}.")  # each says its subject: a part and axis, the filled points, the pieces
    table = results.check_table(pred)
    if table is None or not pred.check.probes:  # nothing measured: the sentence above says so, a table of zeros not
        return
    st.dataframe(table, key="self_check", height=table_height(len(table)), column_config={
        "mean probe error": st.column_config.NumberColumn(format="%.3g", help="in the file's units"),
    })
    st.caption(f"The self-check ({pred.check.seconds:.1f} s): {n_probes} stretches of the file that were seen, "
               "shaped like its gaps (one part lost while others are seen, or every part; inside or at an end; "
               "of similar length), hidden and filled by every method, scored against what was seen there. Per "
               "kind and length of gap the closest method fills the real gaps, and its mean error there is the "
               "expected error. Mean probe error in the file's units; best on: the probes where it came closest; cells "
               "filled: the fill's cells it filled (the video model's, with those its classical prior filled alone).")


def table_height(rows: int) -> int:
    """Pixels for a table to show every row without a scroll bar of its own (Streamlit's rows are 35 px)."""
    return 35 * (rows + 1) + 3


def show_scores(run: results.Run) -> None:
    result = run.result
    table = results.metrics_table(result)
    if table is None:
        return
    st.dataframe(words.highlight_best(table), key="metrics", height=table_height(len(table)))
    st.markdown(words.score_words(table))
    pred = run.prediction
    expected = results.expected_error(pred, pred.filled & ~pred.trajectory.missing)  # the cells the table scores
    promise = words.promise_words(expected.mean, float(table["ADE"].get(style.name(style.MODEL), np.nan)),
                                  expected.measured, expected.filled)
    if promise:
        st.markdown(promise)
    same = words.same_fills(table)
    if same:
        st.caption(same)
    st.caption(f"Scored on the {result.metrics[style.MODEL]['n_cells']} filled cells that have ground truth. "
               "ADE: mean position error; FDE: error at each gap's last frame; in the file's units and in % of "
               "the scene's size. Each candidate's row is its own fill of every cell, as the self-check weighed "
               "it. Green marks the best only where it beats every other as shown."
               + (" PSNR and SSIM compare pictures of the hidden frames (the video model's own drawing, the others "
                  "drawn from their positions), so they can differ where positions do not: never marked best."
                  if "SSIM" in table.columns else
                  f" Picture scores (PSNR, SSIM) are left out for files over {results.VIDEO_METRICS_FRAMES} frames."))


def show_downloads(run: results.Run) -> None:
    pred = run.prediction
    st.caption("The download keeps every measurement as it was: empty cells are filled in place, and kinviz's "
               "values for hidden measurements go into added `_pred` columns beside them; `filled_by` names the "
               "method that filled each point. The report (JSON) holds the composition, the expected error and "
               "the self-check's table.")
    # The files are made when their button is clicked (deferred), not on every rerun of the page.
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download filled CSV", pred.to_csv, file_name=run.csv_name, mime="text/csv",
                       key="download", on_click="ignore", icon=":material/download:", width="stretch")
    c2.download_button("Download predicted video (GIF)", lambda: run.video, file_name=f"{run.stem}-predicted.gif",
                       mime="image/gif", key="download_video", on_click="ignore", width="stretch")
    c3.download_button("Download report (JSON)", run.report_json, file_name=f"{run.stem}-report.json",
                       mime="application/json", key="download_report", on_click="ignore", width="stretch")


@st.fragment
def show_strip(run: results.Run) -> None:
    """The frame strip and its slider. A fragment of its own: moving the slider redraws the strip alone, not the
    results around it."""
    T = run.prediction.trajectory.n_frames
    start = scene.focus_window(results.focus(run.prediction), STRIP_FRAMES)[0]
    if T > STRIP_FRAMES:
        start = st.slider("Frame strip starts at frame", 0, T - STRIP_FRAMES, start, key="strip")
    st.image(run.strip(start, STRIP_FRAMES), width="stretch",
             caption="Rows: the recording, what kinviz is given, its fill (black ring: the recording, where it has "
                     "a value). Hidden frames framed in amber; grey: the path where it was seen.")


def show_pictures(run: results.Run) -> None:
    """The frame strip, the coordinates with the playback, the errors and the paths; the other fills to draw."""
    pred, result = run.prediction, run.result
    traj = pred.trajectory
    T = traj.n_frames
    show_strip(run)

    # The other fills and the band are legend entries of each plot, switched in the browser: a widget here reran
    # the page, and Chromium drew the plots of a 7,200-frame file again from nothing (1.8 s), as Streamlit remounts
    # a changed figure. Every fill is in the figures; those but the video model, the smoother and linear start off.
    band = scene.spread(pred) is not None
    parts = ()
    if traj.n_objects > len(run.parts):  # many parts: draw a few, the hidden ones and their nearest partners
        parts = tuple(st.multiselect(
            "Parts to draw", traj.names, run.parts, key="draw_parts",
            help=f"The plots draw {len(run.parts)} of the {traj.n_objects} parts: the hidden ones and those that "
                 "stay nearest to them. Pick others to compare; past eight the colours get hard to tell apart."))
    left, right = st.columns([3, 2])
    left.plotly_chart(run.figure("coords", band, parts), key="coords")
    where = ", drawn where you hid frames" if scene.hidden_cells(pred).any() else ""  # ``scene.compared``
    drawn_first = words.listing([style.name(m) for m in style.default_baselines() if m in run.others])
    words_ = (("It opens on the hidden frames: double-click it to see the whole file, drag on it to zoom. "
               if T > figures.LONG_FRAMES else "")
              + ("Colour: the part; line: the method (thin: the recording, thick: kinviz's fill, dashed: the other "
                 f"fills{where}). Dots mark the cells a model drew; click a part in the legend to hide it. "
                 if traj.n_objects > 1 else "")
              + (f"Every other fill is in the legend: click one to draw it or hide it ({drawn_first} are drawn to "
                 "begin with). ")
              + (f"Shaded: the uncertainty band, kinviz's fill ± {style.BAND_SD} standard deviations (about 95 %), "
                 "each gap's spread rescaled to the errors the self-check measured on stretches like it; click it in "
                 "the legend to hide it." if band else "This prediction carries no spread, so no band is drawn."))
    left.caption(words_)
    playback = right.empty()  # filled last: the plots are sent first
    left, right = st.columns([3, 2])
    if results.metrics_table(result) is not None:
        left.plotly_chart(run.figure("errors"), key="errors")
        right.plotly_chart(run.figure("path", band, parts), key="path")
    else:  # no truth to score: the paths take the wide column, the reason beside them
        left.plotly_chart(run.figure("path", band, parts), key="path")
        right.info("No ground truth for the filled cells: the file has no values there, so there is nothing to "
                   "score and no error numbers are shown. The self-check's expected error above is measured on "
                   "stretches of the file that were seen. The fill is on the plots and in the downloads.")
    a, b = run.window
    with playback.container():
        st.html(run.playback, unsafe_allow_javascript=True)
        st.caption(f"Playback, frames {a}–{b - 1}: the recording beside kinviz's fill (click it to pause). Black "
                   "ring: the recording, where kinviz filled a point; shaded: its uncertainty band.")

