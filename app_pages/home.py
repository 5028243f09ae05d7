"""Overview: the story on one screen for someone who has five minutes: the model at work on a real
recording and what it measured against the classical fixes (how it learnt is on the Model page)."""

import streamlit as st

from kinviz_app import cache, guard, real, results, words


def main() -> None:
    st.title("kinviz: fill the gaps in tracked motion")
    st.markdown(
        "#### Tracking data has holes: occlusions, dropouts, a camera that started late. kinviz has several ways "
        "to fill them: a video model that paints in the missing frames, a motion model, the Kalman smoother "
        "that trackers already trust, a regression on the parts still seen. Before filling your file it tries "
        "each of them on stretches of that same file that were seen, shaped like its gaps, and lets the closest "
        "fill each kind of gap. Every result says which method filled how many cells and how far off it expects "
        "to be."
    )

    # The model at work: a bundled recording with frames hidden, truth beside the fill.
    left, right = st.columns([3, 2])
    with left:
        demo = cache.demo()
        st.html(demo.playback, unsafe_allow_javascript=True)
        st.caption(demo.caption + " Click the playback to pause it.")
    with right:
        st.markdown("**Measured against the classical fixes**")
        heads = results.headlines(cache.predictor().meta)
        if heads and all(h["model"] is None for h in heads):
            st.info("kinviz's self-checked fill is not measured in this model's record yet (`bench --record` "
                    "writes it): measure it on the Evaluate page, against the same classical fills.")
        elif heads:
            for head in heads:
                st.markdown("- " + words.headline_words(head))
            sets = dict.fromkeys(f"{h['examples'] or 'some'} {h.get('split') or 'held-out recordings'}"
                                 for h in heads)
            st.caption("Average position error over the hidden frames of simulated recordings that the model never "
                       f"trained on ({'; '.join(sets)}), as recorded with the model "
                       "(`bench --record`, the figures in docs/BENCHMARK.md). The Evaluate page measures them again "
                       "with its defaults (the held-out test set, seed 0). Other recordings give other figures: "
                       "Evaluate measures the model on the bundled ones, or on yours, against the same fills.")
        else:
            st.info("This model's record carries no benchmark yet: measure one on the Evaluate page.")
        st.page_link("app_pages/predict.py", label="Try it on your own file", icon=":material/movie:")

    cols = st.columns(3)
    steps = [
        ("1 · Bring a CSV", "Time and x, y per object, in the layout you have. Or pick one of the bundled recordings."),
        ("2 · Hide frames", "Drag a slider or draw on a timeline. Gaps already in the file are filled too."),
        ("3 · Compare and take it home", "What filled each gap and the error to expect; ground truth beside the "
                                         "fill and every other fill. Download the filled CSV, the video, a report."),
    ]
    for col, (title, text) in zip(cols, steps):
        with col.container(border=True):
            st.markdown(f"**{title}**")
            st.caption(text)

    reals = cache.real_index()
    if not reals.empty:
        st.markdown("**Real tracker files to try**: each opens on Predict with one part hidden where it was tracked.")
        for row in reals.itertuples():
            st.page_link("app_pages/predict.py", label=f"{row.name}: {row.frames} frames x {row.parts} parts, "
                         f"hides {row.preset}", icon=":material/pets:",
                         query_params={"example": row.name, "mask": row.preset})
            st.caption(real.attribution(row, described=False))

    cols = st.columns(4)
    cols[0].page_link("app_pages/predict.py", label="Try it: Predict", icon=":material/movie:")
    cols[1].page_link("app_pages/examples.py", label="Browse examples", icon=":material/grid_view:")
    cols[2].page_link("app_pages/evaluate.py", label="Model vs baselines", icon=":material/leaderboard:")
    cols[3].page_link("app_pages/model.py", label="Model card", icon=":material/memory:")


guard.page(main)
