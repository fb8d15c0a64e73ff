"""Show errors a user can act on, never a traceback."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from geo.errors import GeoError
from ui.text import md_escape

log = logging.getLogger("ceasefire_monitor")


@contextmanager
def user_errors(action: str) -> Iterator[None]:
    """Run a block; show a GeoError's message and hint, and any other failure as a short apology.

    A message and hint quote what the user gave (file and column names, ids, link parameters), so
    they are shown as text (:func:`ui.text.md_escape`), never as Markdown.

    Parameters
    ----------
    action
        What the block does, in a few words ("reading the batch"), for the message.
    """
    try:
        yield
    except GeoError as exc:
        hint = f"\n\n**How to fix:** {md_escape(exc.hint)}" if exc.hint else ""
        st.error(md_escape(exc.message) + hint, icon="⚠️")
    except Exception as exc:
        log.exception("unexpected failure while %s", action)
        st.error(f"Something went wrong while {action}: {type(exc).__name__}. Nothing was changed.", icon="⚠️")
        with st.expander("Details for the developers"):
            st.code("".join(traceback.format_exception_only(type(exc), exc)))
