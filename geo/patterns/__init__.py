"""Pattern statistics: surges per sector, hotspots, space-time clusters and distance profiles, each with a significance."""

from geo.patterns.core import PARTS, Patterns, find_patterns
from geo.patterns.evidence import pattern_evidence
from geo.patterns.hexgrid import uids_in_cells
from geo.patterns.params import NO_SECTOR, PatternParams

__all__ = [
    "NO_SECTOR",
    "PARTS",
    "PatternParams",
    "Patterns",
    "find_patterns",
    "pattern_evidence",
    "uids_in_cells",
]
