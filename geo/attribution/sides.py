"""The sides an origin can be attributed to, and how finely control-area edges are densified before projecting."""

from __future__ import annotations

SIDES: tuple[str, ...] = ("UA", "RU")
# A side is named when its probability reaches this, for a report's origin and for an event
# (docs/METHOD.md, "Score": where "almost certain" begins; the wrong side is the costly error).
ATTRIBUTION_THRESHOLD = 0.95
# About 1 km: control area edges are straight in lon/lat (RFC 7946), so long ones are densified
# before projecting, or the projected edge would cut the corner.
DENSIFY_DEG = 0.01
