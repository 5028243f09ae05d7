"""kinviz web app: the router. Run with ``streamlit run app.py``; each page is one function in app_pages/.

The pages' folder is not called ``pages/``: beside the entrypoint that name turns on Streamlit's legacy
multipage runner, which (on a fresh server, until some session calls st.navigation) runs a linked page's
file on its own, without this router.
"""

import streamlit as st

st.set_page_config(layout="wide", page_title="kinviz", page_icon=":material/timeline:")

PAGES = [
    st.Page("app_pages/home.py", title="Overview", icon=":material/home:", default=True),
    st.Page("app_pages/predict.py", title="Predict", icon=":material/movie:", url_path="predict"),
    st.Page("app_pages/examples.py", title="Examples", icon=":material/grid_view:", url_path="examples"),
    st.Page("app_pages/evaluate.py", title="Evaluate", icon=":material/leaderboard:", url_path="evaluate"),
    st.Page("app_pages/model.py", title="Model", icon=":material/memory:", url_path="model"),
]

st.navigation(PAGES, position="top").run()
