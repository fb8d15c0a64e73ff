"""The sides an origin can be attributed to, and how finely control-area edges are densified before projecting."""

from __future__ import annotations

SIDES: tuple[str, ...] = ("UA", "RU")
# About 1 km: control area edges are straight in lon/lat (RFC 7946), so long ones are densified
# before projecting, or the projected edge would cut the corner.
DENSIFY_DEG = 0.01
