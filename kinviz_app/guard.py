"""Every page runs inside :func:`page`: an unexpected exception becomes one line of ``st.error``."""

from __future__ import annotations

import logging
from typing import Callable

import streamlit as st

import kinviz

log = logging.getLogger("kinviz_app")


def one_line(error: BaseException) -> str:
    """The first line of an exception's message, or its type when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def page(body: Callable[[], None]) -> None:
    """Run a page's body. kinviz's own errors are meant for people and shown as they are; anything
    else is logged with its traceback on the server and shown as one line. Streamlit's rerun and
    stop signals are BaseExceptions and pass through untouched."""
    try:
        body()
    except kinviz.KinvizError as e:
        st.error(one_line(e))
    except Exception as e:  # noqa: BLE001 - the last line of defence between a bug and a traceback
        log.exception("page failed")
        st.error(f"Something went wrong ({type(e).__name__}: {one_line(e)}). Reload the page or try other settings.")
