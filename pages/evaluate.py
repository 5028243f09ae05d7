"""Evaluate: the model against the classical baselines over many recordings, worst first;
selecting a row opens that recording in Predict with the same hidden frames."""

import plotly.express as px
import streamlit as st

import kinviz
from kinviz_app import cache, guard, results

ss = st.session_state
BUNDLED, UPLOADED = "Bundled examples", "My CSV files"
TASK_HELP = {"interpolate": "hide the middle third", "forecast": "hide the last quarter",
             "random": "hide 30% of the inner frames at random"}


def pick_recordings() -> tuple[list[kinviz.Trajectory], bool]:
    """The trajectories to score and whether they are bundled (so a row can open by link)."""
    source = st.radio("Recordings", [BUNDLED, UPLOADED], key="eval_source", horizontal=True)
    if source == BUNDLED:
        index = cache.examples_index()
        one_each = index.groupby("family", sort=False).name.first().tolist()
        names = st.multiselect("Examples", index.name.tolist(), default=one_each, key="eval_examples",
                               help="One per kind of motion by default; add more, or all 45 (slower on a CPU).")
        return [cache.example(n) for n in names], True
    files = st.file_uploader("CSV files", type=["csv", "tsv", "txt"], accept_multiple_files=True, key="eval_upload")
    trajectories, seen = [], set()
    for f in files or []:
        try:
            results.check_size(f.size)
            traj = cache.upload(f.name, f.getvalue())
        except kinviz.CSVError as e:
            st.warning(f"{f.name} skipped: {e}")
            continue
        if traj.source_name in seen:
            st.warning(f"{f.name} skipped: another file has the same name")
            continue
        seen.add(traj.source_name)
        trajectories.append(traj)
    return trajectories, False


def show(report, bundled: bool) -> None:
    n = len(report.results)
    st.subheader(f"Task '{report.task}' over {n} recording{'s' * (n != 1)}")
    summary = results.summary_table(report)
    left, right = st.columns([3, 2])
    left.dataframe(results.highlight_best(summary), key="eval_summary")
    left.caption("Means over the recordings of the hidden cells that have ground truth. ADE/FDE in % of each "
                 "scene's diagonal (comparable across files) and in CSV units.")
    bars = summary["ADE %"].reset_index().rename(columns={"index": "method"})
    right.plotly_chart(px.bar(bars, x="method", y="ADE %", title="Mean ADE, % of scene diagonal (lower is better)",
                              height=300), key="eval_bars")

    table = results.per_example(report)
    wins = int((table["model − best (pp)"] < 0).sum())
    st.markdown(f"**Per recording**, worst model error first: the model beats the best baseline on **{wins} of "
                f"{len(table)}**. Sort by any column; select a row to open it in Predict with the same hidden frames.")
    picked = st.dataframe(table, key="eval_table", on_select="rerun", selection_mode="single-row", hide_index=True,
                          column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns
                                         if table[c].dtype.kind == "f"})
    rows = picked.selection.rows if picked else []
    if rows:
        name = table.example.iloc[rows[0]]
        if not bundled:
            st.info(f"{name} is an uploaded file: upload it on the Predict page to look closer.")
            return
        mask = next(r.mask for r in report.results if r.name == name)
        st.switch_page("pages/predict.py", query_params={"example": name.removesuffix(".csv"),
                                                          "mask": kinviz.format_mask(mask) or "none"})


def main() -> None:
    st.title("Evaluate")
    predictor = cache.predictor()
    st.caption(f"Model {results.model_version(predictor.meta)} on **{predictor.device.upper()}** against the "
               f"baselines {', '.join(kinviz.BASELINES)}.")
    left, right = st.columns([1, 2])
    with left:
        task = st.radio("Task", kinviz.TASKS, key="task", format_func=lambda t: f"{t} ({TASK_HELP.get(t, '')})")
        seed = st.number_input("Seed", 0, 2**31 - 1, step=1, key="eval_seed")
    with right:
        trajectories, bundled = pick_recordings()
    if st.button(f"Evaluate {len(trajectories)} recording(s)", key="eval_run", type="primary",
                 disabled=not trajectories):
        bar = st.progress(0.0, text="Starting…")
        report = kinviz.evaluate(predictor, trajectories, task=task, seed=int(seed),
                                 progress=lambda i, n: bar.progress(i / n, text=f"{i} of {n} recordings scored"))
        bar.empty()
        ss["_eval"] = (report, bundled)
    if "_eval" in ss:
        show(*ss["_eval"])


guard.page(main)
