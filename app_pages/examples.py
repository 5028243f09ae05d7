"""Examples: the bundled recordings as a gallery; each opens in Predict with one click."""

import streamlit as st

import kinviz
from kinviz_app import cache, guard, real

COLUMNS = 3
LAYOUT_WORDS = {"wide": "columns x, y", "wide_named": "columns per object (ball_x, ball_y, …)",
                "long": "one row per object", "z": "with a z column", "semicolon": "semicolon-separated",
                "label": "with a text column", "temperature": "with an extra number column"}


def layout_words(layout: str) -> str:
    """'wide_named' -> 'columns per object (ball_x, ball_y, …)'; 'long+semicolon' -> 'one row per object, semicolon-separated'."""
    return ", ".join(LAYOUT_WORDS.get(part, part.replace("_", " ")) for part in str(layout).split("+"))


def main() -> None:
    st.title("Examples")
    index = cache.examples_index()
    st.caption(f"{len(index)} lab-style recordings of {index.family.nunique()} kinds of motion, bundled with kinviz. "
               "Some have tracker dropouts (missing cells), some several objects, some other ways of laying out a CSV.")
    real_files()
    tracker_files()
    families = st.multiselect("Kinds of motion", sorted(index.family.unique()), key="families", persist_state="session",
                              placeholder="All kinds")
    gaps_only = st.toggle("Only recordings with missing cells", key="gaps_only", persist_state="session")
    shown = index[index.family.isin(families or index.family.unique())]
    if gaps_only:
        shown = shown[shown.missing_cells > 0]
    if shown.empty:
        st.info("No recording matches these filters.")
        return
    for start in range(0, len(shown), COLUMNS):
        for col, row in zip(st.columns(COLUMNS), shown.iloc[start : start + COLUMNS].itertuples()):
            with col.container(border=True):
                st.image(cache.thumbnail(row.name), width="stretch")
                st.markdown(f"**{row.name}** · {row.family}")
                st.caption(f"{row.frames} frames · {row.objects} object(s) · {layout_words(row.layout)} · "
                           f"{row.missing_cells} missing cells")
                st.caption(row.description)
                st.page_link("app_pages/predict.py", label="Open in Predict", icon=":material/play_arrow:",
                             query_params={"example": row.name})


def real_files() -> None:
    """The real tracker files bundled beside the app, with their source and licence; each opens in Predict with
    its preset (one part hidden for a stretch where it was tracked)."""
    reals = cache.real_index()
    if reals.empty:
        return
    st.markdown("**Real tracker files**: what trackers wrote on real animals, bundled under their "
                "MIT licences. Each opens with one part hidden where it was tracked: press Run to fill it.")
    for col, row in zip(st.columns(len(reals)), reals.itertuples()):
        with col.container(border=True):
            st.markdown(f"**{row.name}** · {row.frames} frames · {row.parts} parts · hides `{row.preset}`")
            st.caption(real.attribution(row))
            st.page_link("app_pages/predict.py", label="Open in Predict", icon=":material/play_arrow:",
                         query_params={"example": row.name, "mask": row.preset})


def tracker_files() -> None:
    """One small file per tracker format kinviz reads, to look at or download and upload on Predict."""
    with st.expander("Files from trackers: DeepLabCut, SLEAP, TrackMate, Tracker, MOTChallenge"):
        st.caption("Upload a file like these on Predict: it is filled and downloaded in its own format.")
        for i, example in enumerate(kinviz.tracker_examples()):
            text = example["file"].read_text(encoding="utf-8")
            st.markdown(f"**{example['file'].name}** · {example['tool']}")
            st.caption(example["description"])
            st.code("\n".join(line[:110] for line in text.splitlines()[:7]), language=None)
            st.download_button("Download", text, file_name=example["file"].name, key=f"tracker_file_{i}",
                               icon=":material/download:")


guard.page(main)
