"""Overview: the story on one screen for someone who has five minutes."""

import streamlit as st

from kinviz_app import cache, guard, results


def main() -> None:
    st.title("kinviz: fill the gaps in tracked motion")
    st.markdown(
        "#### Tracking data has holes: occlusions, dropouts, a camera that started late. kinviz draws each "
        "trajectory as a short video, lets a MAGVIT-style masked video model paint in the missing frames, "
        "and reads the positions back, then shows how that compares with the classical fixes."
    )
    cols = st.columns(3)
    steps = [
        ("1 · Bring a CSV", "Time and x, y per object, in the layout you have. Or pick one of the bundled recordings."),
        ("2 · Hide frames", "Drag a slider or draw on a timeline. Gaps already in the file are filled too."),
        ("3 · Compare and take it home", "Ground truth beside the prediction, against linear, cubic and "
                                         "constant-velocity fills. Download the filled CSV, the video, a report."),
    ]
    for col, (title, text) in zip(cols, steps):
        with col.container(border=True):
            st.markdown(f"**{title}**")
            st.caption(text)

    predictor = cache.predictor()
    meta = predictor.meta
    head = results.headline(meta)
    cols = st.columns(4)
    if head:
        cols[0].metric(f"Model error, {head['task']}", f"{head['model']:.2f} %",
                       delta=f"{head['model'] - head['best_value']:+.2f} pp vs {head['best']}", delta_color="inverse",
                       help="Mean position error over the hidden frames, in % of the scene's diagonal, "
                            f"over {head['examples']} recordings (from the checkpoint's record).")
    else:
        cols[0].metric("Benchmark", "—",
                       help="The checkpoint's record carries no benchmark yet; measure one on the Evaluate page.")
        cols[0].caption("Not in this checkpoint's record yet: see Evaluate.")
    curve = meta.get("training", {}).get("curve", [])
    cols[1].metric("Token accuracy (validation)", f"{curve[-1]['val_token_acc']:.1%}" if curve else "—")
    cols[2].metric("Parameters", f"{sum(predictor.model.n_params().values()) / 1e6:.2f} M")
    cols[3].metric("Runs on", predictor.device.upper())
    st.caption(f"Model {results.model_version(meta)}. Numbers come from the checkpoint's own record.")

    cols = st.columns(4)
    cols[0].page_link("pages/predict.py", label="Try it: Predict", icon=":material/movie:")
    cols[1].page_link("pages/examples.py", label="Browse examples", icon=":material/grid_view:")
    cols[2].page_link("pages/evaluate.py", label="Model vs baselines", icon=":material/leaderboard:")
    cols[3].page_link("pages/model.py", label="Model card", icon=":material/memory:")


guard.page(main)
