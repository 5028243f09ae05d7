"""App-side helpers for the Streamlit pages: caching (``cache``), figures and images (``views``),
run bundles and reports (``results``), one name and colour per method (``style``) and the error guard
every page runs in (``guard``).

Streamlit stays out of ``kinviz``; everything here may import it.
"""
