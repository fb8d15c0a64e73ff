"""User text made safe to show: HTML-escaped, bidirectional controls made visible (the maps, the pages)."""

from __future__ import annotations

import html

# Unicode bidirectional controls (ALM, LRM/RLM, the embeddings and overrides U+202A-U+202E, the
# isolates U+2066-U+2069). In user text they make a name display reordered ("evil\u202egpj.exe" reads
# as "evilexe.jpg"), so each is shown as BIDI_MARK instead: visible, never obeyed.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_MARK = "\ufffd"
_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS, BIDI_MARK))


def without_bidi(text: str) -> str:
    """Return ``text`` with every bidirectional control (:data:`BIDI_CONTROLS`) replaced by U+FFFD."""
    return text.translate(_BIDI)


def escape_text(text: object) -> str:
    """Return ``str(text)`` as HTML text: escaped, its bidirectional controls replaced by U+FFFD."""
    return html.escape(without_bidi(str(text)))
