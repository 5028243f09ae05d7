"""Every page runs inside :func:`page`: kinviz's own errors are shown as they are; anything else becomes a
short message with an id, and its traceback goes to the server log under that id."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import runpy
import secrets
from pathlib import Path
from typing import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import kinviz

log = logging.getLogger("kinviz_app")  # the server's log (stderr): errors with their ids, each run's timings
if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s kinviz_app %(levelname)s %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)


def one_line(error: BaseException) -> str:
    """The first line of an exception's message, or its type when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


ROUTED = "_kinviz_routed"


try:  # glibc keeps freed arenas; giving them back keeps a long-running server's memory flat
    _LIBC = ctypes.CDLL("libc.so.6")
except OSError:  # not glibc (macOS, musl): nothing to trim
    _LIBC = None


def freeze_heap() -> None:
    """Once the model is loaded: hide what is alive now (the libraries, the model: some 440,000 objects)
    from the garbage collector, which would otherwise walk them all in every full collection (0.18 s of
    CPU each, as much as a whole fill). They live as long as the server; the runs' objects are still
    collected as before."""
    gc.collect()
    gc.freeze()


def release_memory() -> None:
    """Collect a finished run's garbage and return freed heap memory to the OS (its frame arrays have
    been dropped)."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def route() -> None:
    """Called by app.py after st.navigation: pages run from here on are the router's."""
    st.session_state[ROUTED] = True


def _run_without_router(body: Callable[[], None]) -> bool:
    """True when the server's entrypoint is another file (app.py) that has not run for this session:
    Streamlit's legacy pages/ runner started this page. A page run on its own (AppTest) is not."""
    ctx = get_script_run_ctx()
    main = Path(ctx.main_script_path).resolve() if ctx is not None else None
    return main is not None and main != Path(body.__code__.co_filename).resolve()


def page(body: Callable[[], None]) -> None:
    """Run a page's body. kinviz's own errors are meant for people and shown as they are; anything
    else is logged with its traceback on the server under a short id, and the browser sees only that
    id: an exception's type and message can hold paths and data that are not the visitor's to read.
    Streamlit's rerun and stop signals are BaseExceptions and pass through untouched."""
    if not st.session_state.get(ROUTED) and _run_without_router(body):
        # A shared link opened on a server no session has used yet: Streamlit's legacy pages/ runner
        # (on until the first st.navigation call) ran this file without app.py. Run the router in this
        # same run: its st.navigation replaces the legacy listing and runs the page the link names,
        # with its query parameters, at once.
        runpy.run_path(str(get_script_run_ctx().main_script_path), run_name="__main__")
        st.stop()
    with shield():
        body()


@contextlib.contextmanager
def shield():
    """What ``page`` does for a whole page, for a part of one that reruns on its own (an ``st.fragment``)."""
    try:
        yield
    except kinviz.KinvizError as e:
        st.error(one_line(e))
    except Exception:  # noqa: BLE001 - the last line of defence between a bug and a traceback
        incident = secrets.token_hex(4)  # 8 hex digits: enough to find one traceback in a server's log
        log.exception("page failed, error id %s", incident)
        st.error(f"Something went wrong (error id {incident}). Reload the page or try other settings; "
                 "whoever runs this server can look the id up in its log.")
