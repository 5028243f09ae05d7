"""The app's last line of defence: people read kinviz's own messages; anything else is an id, its traceback in the server log."""

from __future__ import annotations

import logging
import re

from streamlit.testing.v1 import AppTest


def _failing_page():  # an AppTest script: a page whose body fails with kinviz's error or with a bug
    import streamlit as st

    import kinviz
    from kinviz_app import guard

    def body():
        if st.session_state.get("kind") == "ours":
            raise kinviz.MaskError("frame 99 is out of range: this file has 40 frames (0-39)")
        raise FileNotFoundError("/srv/private/uploads/patient-17.csv")

    guard.page(body)


def test_an_unexpected_error_shows_an_id_and_logs_its_traceback_under_it(caplog):
    caplog.set_level(logging.ERROR, logger="kinviz_app")
    at = AppTest.from_function(_failing_page).run()
    (shown,) = [e.value for e in at.error]
    incident = re.fullmatch(r"Something went wrong \(error id ([0-9a-f]{8})\)\. .*", shown).group(1)
    assert "FileNotFoundError" not in shown and "private" not in shown, "no exception type or message in the browser"
    (record,) = [r for r in caplog.records if r.name == "kinviz_app"]
    assert incident in record.getMessage() and record.exc_info[0] is FileNotFoundError
    again = AppTest.from_function(_failing_page).run()
    assert incident not in again.error[0].value, "each failure gets an id of its own"


def test_kinvizs_own_errors_are_shown_as_they_are(caplog):
    at = AppTest.from_function(_failing_page)
    at.session_state["kind"] = "ours"
    at.run()
    assert [e.value for e in at.error] == ["frame 99 is out of range: this file has 40 frames (0-39)"]
    assert not [r for r in caplog.records if r.name == "kinviz_app"]


def test_a_frozen_heap_still_collects_what_runs_leave_behind():
    """freeze_heap hides what is alive once the model is loaded from the collector; the garbage of
    later runs (here a reference cycle) is still collected by release_memory."""
    import gc
    import weakref

    from kinviz_app import guard

    class Node:
        pass

    try:
        guard.freeze_heap()
        assert gc.get_freeze_count() > 0
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        guard.release_memory()
        assert gone() is None
    finally:
        gc.unfreeze()
