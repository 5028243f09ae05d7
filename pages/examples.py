"""Examples: the bundled recordings as a gallery; each opens in Predict with one click."""

import streamlit as st

from kinviz_app import cache, guard

COLUMNS = 3


def main() -> None:
    st.title("Examples")
    index = cache.examples_index()
    st.caption(f"{len(index)} lab-style recordings of {index.family.nunique()} kinds of motion, bundled with kinviz. "
               "Some have tracker dropouts (missing cells), some several objects, some other CSV layouts.")
    families = st.multiselect("Kinds of motion", sorted(index.family.unique()), key="families",
                              placeholder="All kinds")
    gaps_only = st.toggle("Only recordings with missing cells", key="gaps_only")
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
                st.caption(f"{row.frames} frames · {row.objects} object(s) · {row.layout} layout · "
                           f"{row.missing_cells} missing cells")
                st.caption(row.description)
                st.page_link("pages/predict.py", label="Open in Predict", icon=":material/play_arrow:",
                             query_params={"example": row.name})


guard.page(main)
