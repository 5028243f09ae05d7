"""Every page runs inside :func:`page`: kinviz's own errors are shown as they are; anything else becomes a
short message with an id, and its traceback goes to the server log under that id."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import secrets
from typing import Callable

import streamlit as st

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


def page(body: Callable[[], None]) -> None:
    """Run a page's body. kinviz's own errors are meant for people and shown as they are; anything
    else is logged with its traceback on the server under a short id, and the browser sees only that
    id: an exception's type and message can hold paths and data that are not the visitor's to read.
    Streamlit's rerun and stop signals are BaseExceptions and pass through untouched."""
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
