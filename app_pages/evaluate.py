"""Evaluate: kinviz's fill against each model's own fill and the classical baselines over many recordings, worst first;
selecting a row opens that recording in Predict with the same hidden frames. By default the held-out
set behind the Overview's figures, so its defaults reproduce them."""

import streamlit as st

import kinviz
from kinviz_app import cache, charts, guard, results, style, words

ss = st.session_state
HELD_OUT, BUNDLED, UPLOADED = "Held-out test set", "Bundled examples", "My CSV files"
MAX_FILES = 20  # uploaded files one evaluation takes: bounded work per request on a shared server
MAX_CELLS = 100_000  # frames x objects over the files of one evaluation (a few minutes on 2 CPU cores)
TASK_HELP = {"interpolate": "hide the middle third", "forecast": "hide the last quarter",
             "random": "hide 30% of the inner frames at random",
             "occlude": "hide one part for a while, the others seen"}


def pick_recordings(task: str) -> tuple[list[kinviz.Trajectory], str]:
    """The trajectories to score and where they come from (a bundled row opens in Predict by link)."""
    source = st.radio("Recordings", [HELD_OUT, BUNDLED, UPLOADED], key="eval_source", horizontal=True,
                      persist_state="session")
    if source == HELD_OUT:
        trajectories = cache.held_out(task)
        if trajectories is None:
            st.info(f"This model's record has no held-out figure for '{task}': "
                    "pick the bundled examples or your files.")
            return [], source
        st.caption(f"The {len(trajectories)} simulated recordings the Overview's figure for this task comes from, "
                   "drawn again as the benchmark drew them, none of them trained on. With seed 0 kinviz's error "
                   "here is the Overview's.")
        return trajectories, source
    if source == BUNDLED:
        index = cache.examples_index()
        one_each = index.groupby("family", sort=False).name.first().tolist()
        names = st.multiselect("Examples", index.name.tolist(), default=one_each, key="eval_examples",
                               persist_state="session",
                               help="One per kind of motion by default; add more, or all 45 (slower on a CPU).")
        st.caption("The model trained on turned, scaled and shifted copies of these recordings, so they are no test "
                   "of data it has not seen: the held-out test set is.")
        return [cache.example(n) for n in names], source
    files = st.file_uploader("CSV files", type=["csv", "tsv", "txt"], accept_multiple_files=True, key="eval_upload",
                             help=f"Up to {MAX_FILES} files and {MAX_CELLS:,} frames x objects in all per evaluation.")
    files = files or []
    if len(files) > MAX_FILES:
        st.warning(f"{len(files)} files uploaded; one evaluation takes the first {MAX_FILES}. Evaluate the rest "
                   "separately, or on the command line (`python -m kinviz evaluate`).")
        files = files[:MAX_FILES]
    trajectories, seen, cells = [], set(), 0
    for f in files:
        try:
            results.check_size(f.size)
            traj = cache.upload(f.name, f.getvalue())
        except kinviz.CSVError as e:
            st.warning(words.plain(f"{f.name} skipped: {e}"))
            continue
        if traj.source_name in seen:
            st.warning(words.plain(f"{f.name} skipped: another file has the same name"))
            continue
        if cells + traj.n_frames * traj.n_objects > MAX_CELLS:
            st.warning(words.plain(f"{f.name} skipped: with it the files hold more than {MAX_CELLS:,} frames x "
                                     "objects, more than one evaluation here takes; evaluate it separately."))
            continue
        cells += traj.n_frames * traj.n_objects
        seen.add(traj.source_name)
        trajectories.append(traj)
    return trajectories, source


def show(report, source: str) -> None:
    n = len(report.results)
    st.subheader(f"Task '{report.task}' over {n} recording{'s' * (n != 1)}")
    summary = results.summary_table(report)
    table = results.per_example(report)
    wins = int((table["kinviz − best (pp)"].round(2) < 0).sum())  # better as shown, never a tie

    # The headline: ADE %, kinviz against the best classical baseline, before anything else.
    model = summary.loc[results.MODEL_LABEL, "ADE %"]
    others = summary.loc[[style.name(m) for m in kinviz.BASELINES if style.name(m) in summary.index], "ADE %"]
    best = others.idxmin()
    c1, c2, c3 = st.columns(3)
    c1.metric("kinviz's error (ADE %)", f"{model:.2f} %", delta=f"{model - others[best]:+.2f} pp vs {best}",
              delta_color="inverse", help="Mean position error over the hidden cells, in % of each recording's "
                                          "scene diagonal, averaged over the recordings. Lower is better.")
    c2.metric(f"Best baseline: {best}", f"{others[best]:.2f} %")
    c3.metric("kinviz beats the best baseline on", f"{wins} of {len(table)}",
              help="Recordings where kinviz's error is lower as shown (to 0.01 points); ties do not count.")
    for note in words.coinciding(report, report.task):
        st.caption(note)

    left, right = st.columns([3, 2])
    left.dataframe(words.highlight_best(summary), key="eval_summary")
    left.caption("Means over the recordings of the hidden cells that have ground truth, in % of each scene's "
                 "diagonal, so files of any scale compare. PSNR and SSIM compare the drawn hidden frames.")
    right.plotly_chart(charts.method_bars(summary["ADE %"]), key="eval_bars")

    st.markdown(f"**Per recording**, worst kinviz error first: kinviz beats the best baseline on **{wins} of "
                f"{len(table)}**. Sort by any column; select a row to open it in Predict with the same hidden frames.")
    picked = st.dataframe(table, key="eval_table", on_select="rerun", selection_mode="single-row", hide_index=True,
                          column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns
                                         if table[c].dtype.kind == "f"})
    rows = picked.selection.rows if picked else []
    if rows:
        name = table.example.iloc[rows[0]]
        if source == UPLOADED:
            st.info(f"{name} is an uploaded file: upload it on the Predict page to look closer.")
            return
        st.switch_page("app_pages/predict.py", query_params=predict_link(report, name, source))


def predict_link(report, name: str, source: str) -> dict[str, str]:
    """Predict's query for a row: a bundled example by its name, a held-out recording by ``cache.held_out_key``
    (Predict draws it again from the benchmark's seed), with the row's hidden frames or cells."""
    result = next(r for r in report.results if r.name == name)
    example = cache.held_out_key(report.task, name) if source == HELD_OUT else name.removesuffix(".csv")
    names = cache.example(example).names
    return {"example": example, "mask": kinviz.format_mask(result.mask, names) or "none"}


def main() -> None:
    st.title("Evaluate")
    predictor = cache.predictor()
    st.caption(f"kinviz's self-checked fill against each model's own fill "
               f"({', '.join(style.name(m) for m in kinviz.METHODS if m not in kinviz.BASELINES and m != style.MODEL)})"
               f" and the classical fills ({', '.join(style.name(m) for m in kinviz.BASELINES)}) on the same hidden "
               f"frames, on **{predictor.device.upper()}**. A model's row is there only when it is shipped.")
    left, right = st.columns([1, 2])
    with left:
        task = st.radio("Task", kinviz.TASKS + kinviz.PART_TASKS, key="task", persist_state="session",
                        format_func=lambda t: f"{t} ({TASK_HELP.get(t, '')})")
        seed = st.number_input("Seed", 0, 2**31 - 1, step=1, key="eval_seed", persist_state="session")
    with right:
        trajectories, source = pick_recordings(task)
    if st.button(f"Evaluate {len(trajectories)} recording(s)", key="eval_run", type="primary",
                 disabled=not trajectories):
        bar = st.progress(0.0, text="Starting…")
        report = kinviz.evaluate(predictor, trajectories, task=task, seed=int(seed),
                                 progress=lambda i, n: bar.progress(i / n, text=f"{i} of {n} recordings scored"))
        bar.empty()
        ss["_eval"] = (report, source)
    if "_eval" in ss:
        show(*ss["_eval"])


guard.page(main)
