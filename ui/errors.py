"""Show errors a user can act on, never a traceback."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from geo.errors import GeoError

log = logging.getLogger("ceasefire_monitor")


@contextmanager
def user_errors(action: str) -> Iterator[None]:
    """Run a block; show a GeoError's message and hint, and any other failure as a short apology.

    Parameters
    ----------
    action
        What the block does, in a few words ("reading the batch"), for the message.
    """
    try:
        yield
    except GeoError as exc:
        st.error(f"{exc.message}" + (f"\n\n**How to fix:** {exc.hint}" if exc.hint else ""), icon="⚠️")
    except Exception as exc:
        log.exception("unexpected failure while %s", action)
        st.error(f"Something went wrong while {action}: {type(exc).__name__}. Nothing was changed.", icon="⚠️")
        with st.expander("Details for the developers"):
            st.code("".join(traceback.format_exception_only(type(exc), exc)))
