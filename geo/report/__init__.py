"""Briefing material rendered on the server: map images, the PDF pack and its manifest (no Streamlit)."""

from geo.report.manifest import Manifest, differences
from geo.report.mapimage import FORMATS, SIZES, map_image
from geo.report.pack import Pack, build_pack, manifest_path, pack_name, rebuild, write_pack
from geo.report.stamp import content_hash

__all__ = [
    "FORMATS",
    "SIZES",
    "Manifest",
    "Pack",
    "build_pack",
    "content_hash",
    "differences",
    "manifest_path",
    "map_image",
    "pack_name",
    "rebuild",
    "write_pack",
]
