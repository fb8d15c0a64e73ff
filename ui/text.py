"""User-supplied text made safe to show: Markdown escaped, bidirectional controls neutralised.

Streamlit renders Markdown in ``st.markdown``, ``st.caption``, the headers, ``st.info`` and the other
alerts, and in widget and expander labels: images (which the viewer's browser fetches), links, LaTeX
between ``$``, colours (``:red[...]``), emoji and icon shortcodes. Report ids and uids, sources,
descriptions, zone names, file names, uploaders, place names and the sentences quoting them are the
user's, so every such value meets Markdown only through :func:`md_escape`; a value shown where no
Markdown is rendered (a table cell, a select box option) goes through :func:`plain` or
:func:`plain_frame`, which neutralise the bidirectional controls alone.
"""

from __future__ import annotations

import re

import pandas as pd

from geo.labels import column_label, label_frame
from geo.text import BIDI_CONTROLS, BIDI_MARK, without_bidi

# Every character with a Markdown or Streamlit meaning: CommonMark/GFM punctuation, ``$`` (LaTeX),
# ``:`` (colour directives ``:red[...]``, ``:material/...:`` icons) and ``&`` (entity references,
# which would bring back a character this module removes).
MD_SPECIALS = "\\`*_{}[]()#+-.!|<>$~:&"
_MD_SPECIAL = re.compile("([" + re.escape(MD_SPECIALS) + "])")
# An emoji or icon shortcode (``:smile:``) is read from the text after escapes are resolved, so a
# WORD JOINER (invisible, not a word character) goes after a colon that could open one.
_SHORTCODE = re.compile(r":(?=[\w+/-]*:)")
WORD_JOINER = "\u2060"
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_BIDI = re.compile("[" + BIDI_CONTROLS + "]")

__all__ = [
    "BIDI_CONTROLS",
    "BIDI_MARK",
    "MD_SPECIALS",
    "headings",
    "md_escape",
    "plain",
    "plain_frame",
    "readable_frame",
]


def plain(value: object) -> str:
    """Return ``str(value)`` with each bidirectional control replaced by U+FFFD (a visible mark).

    The controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) are replaced, not stripped,
    so that "evil\\u202egpj.exe" shows as "evil\\ufffdgpj.exe" and cannot pass for "evilexe.jpg", and two
    names differing only by a control still look different. For places that render no Markdown.
    """
    return without_bidi(str(value))


def md_escape(value: object) -> str:
    """Return ``str(value)`` as Markdown that Streamlit shows as exactly that text.

    - Bidirectional controls become U+FFFD, as in :func:`plain`.
    - Line breaks become spaces: the value stays inside the line, list item or heading it is put in.
    - A colon that could open an emoji or icon shortcode (``:smile:``) is followed by U+2060 WORD
      JOINER (invisible); other colons are left alone.
    - Each of :data:`MD_SPECIALS` gets a backslash, so no image, link, emphasis, code, HTML, LaTeX,
      table, heading, list or colour directive can form (``![b](http://host/x.png)`` shows as typed).

    Use it on every value that is not the app's own text, wherever it meets Markdown.
    """
    text = _LINE_BREAK.sub(" ", plain(value))
    text = _SHORTCODE.sub(":" + WORD_JOINER, text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` for display with :func:`plain` applied to its text cells and column names.

    The frame itself is returned when no text holds a bidirectional control (the usual case: no copy);
    otherwise a copy, of the same shape and order, so row positions still index the original.
    """
    renamed = {c: plain(c) for c in frame.columns if isinstance(c, str) and _BIDI.search(c)}
    out = frame.rename(columns=renamed) if renamed else frame
    for position in range(out.shape[1]):
        series = out.iloc[:, position]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)  # two categories may become one
        elif not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
            continue
        texts = [v for v in series.to_numpy() if isinstance(v, str)]
        if not texts or not _BIDI.search("\x00".join(texts)):
            continue
        if out is frame:
            out = frame.copy()
        out.isetitem(position, series.map(lambda v: plain(v) if isinstance(v, str) else v))
    return out


def readable_frame(
    frame: pd.DataFrame, *, columns: dict[str, str] | None = None, index: str | None = None
) -> pd.DataFrame:
    """Return ``frame`` as a person reads it: codes as words (:func:`geo.labels.label_frame`: the
    data, exports and URL keep the codes), then :func:`plain_frame`. Column names stay as they are
    (tests and column configurations find columns by name); :func:`headings` gives their words.
    """
    return plain_frame(label_frame(frame, columns=columns, index=index, headings=False))


def headings(frame: pd.DataFrame, **config: object) -> dict[str, object]:
    """A ``column_config`` for ``st.dataframe`` that shows each column's heading in words
    (:func:`geo.labels.column_label`); ``config`` adds or overrides columns' configurations."""
    return {str(c): column_label(c) for c in frame.columns} | config
