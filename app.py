"""kinviz web app: the router. Run with ``streamlit run app.py``; each page lives in pages/."""

import streamlit as st

from kinviz_app import guard

st.set_page_config(layout="wide", page_title="kinviz", page_icon=":material/timeline:")

PAGES = [
    st.Page("pages/home.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/predict.py", title="Predict", icon=":material/movie:", url_path="predict"),
    st.Page("pages/examples.py", title="Examples", icon=":material/grid_view:", url_path="examples"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/leaderboard:", url_path="evaluate"),
    st.Page("pages/model.py", title="Model", icon=":material/memory:", url_path="model"),
]

nav = st.navigation(PAGES, position="top")  # the top bar: config hides Streamlit's pages/ listing
guard.route()
nav.run()
