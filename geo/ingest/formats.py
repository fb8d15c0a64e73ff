"""Recognise what an uploaded file is and turn it into features: GeoJSON directly, GIS formats through pyogrio."""

from __future__ import annotations

import io
import re
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from geo.errors import InputError
from geo.ingest.geojson import CONVERT_HINT, Parsed, file_issue, looks_like_lines, parse_json, parse_lines
from geo.settings import Settings

ACLED_COLUMNS = frozenset({"event_id_cnty", "event_date", "sub_event_type", "actor1", "disorder_type"})
UCDP_COLUMNS = frozenset({"date_start", "where_prec", "side_a", "side_b", "best", "where_coordinates"})
CSV_HINT = (
    "Read it through a column mapping: on the Upload page, or `python -m geo ingest {name} --mapping "
    "acled|ucdp|mapping.json` (docs/IMPORT.md). Or export it as GeoJSON with lon/lat Point geometry and the schema's field names (docs/SCHEMA.md); with GDAL: "
    "`ogr2ogr -f GeoJSON out.geojson {name} -oo X_POSSIBLE_NAMES=longitude -oo Y_POSSIBLE_NAMES=latitude -a_srs EPSG:4326`."
)
FORMATS_HINT = "Upload GeoJSON, newline-delimited GeoJSON, a zipped shapefile, GeoPackage, KML/KMZ, FlatGeobuf or GeoParquet."


@dataclass(frozen=True)
class Limits:
    """What an upload may expand to: features, and bytes out of an archive (None: no limit)."""

    features: int | None = None
    uncompressed: int | None = None

    def check_count(self, n: int, name: str, *, about: bool = False) -> None:
        """Refuse ``n`` features over the limit, before they are read when the count comes first."""
        if self.features is not None and n > self.features:
            msg = f"{name} holds {'about ' if about else ''}{n:,} features, over the limit of {self.features:,} per upload."
            raise InputError(msg, hint=LIMIT_HINT)


LIMIT_HINT = (
    "Split it into smaller batches (by period or area), or raise max_features / max_uncompressed_mb in "
    "ceasefire.toml (memory grows with them: 250,000 small GeoJSON features take 0.8 GB to read)."
)


def _ogr_layers(target: str, name: str, label: str, limits: Limits = Limits()) -> tuple[Any, Any]:
    import pyogrio

    try:
        layers = pyogrio.list_layers(target)
        if len(layers) == 0:
            msg = f"{name} ({label}) has no layers."
            raise InputError(msg, hint="Upload a file with one point layer.")
        # Counted from the file's header before anything is read: a few MB may hold millions.
        count = pyogrio.read_info(target, layer=layers[0][0]).get("features", -1)
        limits.check_count(int(count), name)
        return layers, pyogrio.read_dataframe(target, layer=layers[0][0])
    except InputError:
        raise
    except Exception as exc:  # GDAL raises many types; each means the file is unreadable
        msg = f"{name} looks like {label} but could not be read ({exc})."
        raise InputError(msg, hint=CONVERT_HINT.format(name=name)) from None


def _extract(data: bytes, folder: Path, name: str, limits: Limits) -> None:
    """Unpack a zip archive into ``folder``, never writing more than the limit whatever its headers say."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    declared = sum(i.file_size for i in archive.infolist())
    too_big = f"{name} expands to more than the limit of {_size(limits.uncompressed or 0)}"
    if limits.uncompressed is not None and declared > limits.uncompressed:
        raise InputError(f"{too_big} ({_size(declared)} declared).", hint=LIMIT_HINT)
    written = 0
    try:
        for info in archive.infolist():
            if info.is_dir():
                continue
            target = folder / Path(info.filename).name  # no paths from the archive: nothing outside folder
            with archive.open(info) as src, target.open("wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if limits.uncompressed is not None and written > limits.uncompressed:
                        raise InputError(f"{too_big} (its headers said {_size(declared)}).", hint=LIMIT_HINT)
                    out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        # A member whose data does not match its header (a size or CRC that lies) is damage, or a trick.
        msg = f"{name} is a damaged zip archive ({exc})."
        raise InputError(msg, hint="Zip the files again and upload the new archive.") from None


def _read_with_ogr(data: bytes, name: str, suffix: str, label: str, limits: Limits = Limits()) -> Parsed:
    """Read a GIS file (zipped shapefile, GeoPackage, KML, FlatGeobuf) through pyogrio, in WGS84."""
    with tempfile.TemporaryDirectory() as tmp:
        if suffix in (".zip", ".kmz"):
            # Unpacked here under the limit, not read through /vsizip: a zip bomb stops at the limit.
            _extract(data, Path(tmp), name, limits)
            wanted = ".shp" if suffix == ".zip" else ".kml"
            found = sorted(p for p in Path(tmp).iterdir() if p.suffix.lower() == wanted)
            target = str(found[0]) if found else str(Path(tmp))
        else:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            target = str(path)
        # GDAL's warnings about a damaged upload are kept as notes, not raised: the file is judged here.
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            layers, frame = _ogr_layers(target, name, label, limits)
    notes = [f"GDAL said: {w.message}" for w in said]
    issues = []
    if len(layers) > 1:
        issues.append(
            file_issue(
                f"{name} has {len(layers)} layers; only the first, {layers[0][0]!r}, was read.",
                "Upload one layer per file.",
            )
        )
    if frame.crs is None:
        notes.append(f"{label} had no CRS; its coordinates were taken as WGS84 lon/lat.")
        frame = frame.set_crs(4326)
    elif frame.crs.to_epsg() != 4326 and not frame.crs.equals("OGC:CRS84"):
        notes.append(f"Reprojected from {frame.crs.to_string()} to WGS84 (EPSG:4326).")
        frame = frame.to_crs(4326)
    for col in frame.columns:
        if str(frame[col].dtype).startswith("datetime64"):
            # ISO text, so that times are checked like GeoJSON's (a naive time has no zone).
            # Fractions of a second are kept: a GeoPackage stores milliseconds.
            text = frame[col].dt.strftime(
                "%Y-%m-%dT%H:%M:%S.%f%z" if frame[col].dt.tz else "%Y-%m-%dT%H:%M:%S.%f"
            )
            frame[col] = text.astype(object).where(frame[col].notna(), None)
    if suffix == ".zip":
        frame, renamed, unclear = _untruncate(frame)
        if renamed:
            notes.append(f"Shapefile column names cut to 10 characters were read as {', '.join(renamed)}.")
        if unclear:
            issues.append(
                file_issue(
                    f"The shapefile's columns {', '.join(unclear)} look like schema fields cut to 10 characters, "
                    "but which field each is cannot be told: they are kept with each report under 'extra', "
                    "not read as fields.",
                    "Upload the layer as a GeoPackage or GeoJSON (full column names), or read it through a "
                    "column mapping that names each column's field (docs/IMPORT.md).",
                )
            )
    doc = orjson.loads(frame.to_json(na="drop", drop_id=True))
    return Parsed(doc["features"], label, notes=notes, issues=issues)


def _untruncate(frame: Any) -> tuple[Any, list[str], list[str]]:
    """Map shapefile column names cut to 10 characters back to the schema's field names.

    Returns the frame, the names restored (``"col -> field"``), and the columns that look cut from
    a schema field but cannot be told apart (``observer_l`` is observer_lon or observer_lat; GDAL
    numbers clashes ``observer_1``): those stay unknown properties, kept under ``extra``.
    """
    from geo.schema import FIELDS

    names = [f.name for f in FIELDS]
    mapping, unclear = {}, []
    for col in frame.columns:
        if col in names or len(col) != 10 or col == "geometry":
            continue
        matches = [n for n in names if n.startswith(col)]
        if len(matches) == 1:
            mapping[col] = matches[0]
            continue
        stem = re.sub(r"_?\d+$", "", col)  # GDAL's laundering: casualti_1, observer_1
        if len(stem) >= 6 and any(n.startswith(stem) for n in names):
            unclear.append(col)
    return frame.rename(columns=mapping), [f"{k} -> {v}" for k, v in mapping.items()], unclear


def _read_parquet(data: bytes, name: str) -> Parsed:
    """Read GeoParquet through geopandas (GDAL here has no Parquet driver)."""
    import geopandas as gpd

    try:
        frame = gpd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow and geopandas raise many types; each means unreadable
        msg = f"{name} is a Parquet file but not readable GeoParquet ({exc})."
        raise InputError(msg, hint="Write it with GeoPandas' to_parquet, or upload GeoJSON.") from None
    notes = []
    if frame.crs is None:
        notes.append("GeoParquet had no CRS; its coordinates were taken as WGS84 lon/lat.")
        frame = frame.set_crs(4326)
    elif frame.crs.to_epsg() != 4326 and not frame.crs.equals("OGC:CRS84"):
        notes.append(f"Reprojected from {frame.crs.to_string()} to WGS84 (EPSG:4326).")
        frame = frame.to_crs(4326)
    doc = orjson.loads(frame.to_json(na="drop", drop_id=True))
    return Parsed(doc["features"], "GeoParquet", notes=notes)


def _zip(data: bytes, name: str, limits: Limits = Limits()) -> Parsed:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        msg = f"{name} starts like a zip archive but is damaged."
        raise InputError(msg, hint="Zip the files again and upload the new archive.") from None
    lower = [n.lower() for n in names]
    if any(n.endswith(".shp") for n in lower):
        return _read_with_ogr(data, name, ".zip", "a zipped shapefile", limits)
    if any(n.endswith(".kml") for n in lower):
        return _read_with_ogr(data, name, ".kmz", "KMZ", limits)
    if any(n.endswith(".gpkg") for n in lower):
        msg = f"{name} is a zip archive holding a GeoPackage."
        raise InputError(msg, hint="Upload the .gpkg file itself, unzipped.")
    if "[Content_Types].xml" in names:
        msg = f"{name} is an Office document (Excel .xlsx or Word), not geodata."
        hint = "Export the sheet as GeoJSON from a GIS, with the schema's field names (docs/SCHEMA.md)."
        raise InputError(msg, hint=hint)
    if "mimetype" in names:
        msg = f"{name} is an OpenDocument file (LibreOffice), not geodata."
        raise InputError(
            msg,
            hint="Export the sheet as GeoJSON from a GIS, with the schema's field names (docs/SCHEMA.md).",
        )
    listing = ", ".join(names[:5]) or "nothing"
    msg = f"{name} is a zip archive without a shapefile or KML inside (it holds {listing})."
    raise InputError(msg, hint="Zip the .shp with its .shx, .dbf and .prj, or upload GeoJSON.")


def _csv(text: bytes, name: str) -> InputError | None:
    header = text.split(b"\n", 1)[0].decode("utf-8", "replace").strip()[:300]
    if not any(sep in header for sep in (",", ";", "\t")):
        return None
    columns = {c.strip().strip('"').lower() for c in re.split(r"[,;\t]", header)}
    known = ""
    if ACLED_COLUMNS & columns:
        known = " It looks like an ACLED export (event_date, latitude, longitude, ...)."
    elif UCDP_COLUMNS & columns:
        known = " It looks like a UCDP GED export (date_start, where_prec, latitude, longitude, ...)."
    msg = f"{name} looks like CSV (header: {header[:120]!r}), not GeoJSON.{known}"
    return InputError(msg, hint=CSV_HINT.format(name=name))


def _binary(data: bytes, name: str) -> InputError | None:
    """Name a known binary file that is not geodata this tool reads, or return None."""
    known = {
        b"%PDF": ("a PDF document", "Upload the data behind the report as GeoJSON."),
        b"\xd0\xcf\x11\xe0": (
            "an old Office document (Excel .xls or Word .doc)",
            "Export the sheet as GeoJSON from a GIS, with the schema's field names (docs/SCHEMA.md).",
        ),
        b"\x1f\x8b": ("gzip-compressed", "Decompress it (gunzip) and upload the file inside."),
        b"\x00\x00\x27\x0a": (
            "the .shp part of a shapefile on its own",
            "Zip the .shp with its .shx, .dbf and .prj files and upload the zip.",
        ),
        b"\x89PNG": ("a PNG image", "Upload the data, not a picture of the map."),
        b"\xff\xd8\xff": ("a JPEG image", "Upload the data, not a picture of the map."),
    }
    for magic, (what, hint) in known.items():
        if data.startswith(magic):
            return InputError(f"{name} is {what}, not geodata.", hint=hint)
    return None


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB" if n >= 100 * 1024 else f"{n:,} bytes"


def parse(
    data: bytes,
    name: str,
    *,
    max_bytes: int,
    max_features: int | None = None,
    max_uncompressed: int | None = None,
) -> Parsed:
    """Recognise the file and return its features.

    Parameters
    ----------
    data
        The file's bytes.
    name
        Its name, for messages and to recognise newline-delimited GeoJSON.
    max_bytes
        The upload limit.
    max_features, max_uncompressed
        How many features the file may hold and how many bytes an archive may expand to (None: no
        limit); checked before the features are read where the format allows (a GIS file's header,
        a count of GeoJSON's ``"Feature"`` members, an archive's expansion), exactly after.

    Raises
    ------
    InputError
        When the file is too large, empty, or not a format this tool reads; the message says
        what the file looks like and how to convert it.
    """
    size = len(data)
    if size > max_bytes:
        msg = f"{name} is {_size(size)}, over the upload limit of {_size(max_bytes)}."
        hint = "Split it into smaller batches, or raise the limit with the setting CM_MAX_UPLOAD_MB (max_upload_mb in ceasefire.toml)."
        raise InputError(msg, hint=hint)
    if not data.strip(b" \t\r\n\x00"):
        what = "empty" if not data else "blank (only whitespace)"
        raise InputError(f"{name} is {what}.", hint="Upload a GeoJSON FeatureCollection of incident reports.")
    limits = Limits(max_features, max_uncompressed)
    parsed = _parse(data, name, limits)
    limits.check_count(len(parsed.features), name)
    return parsed


def parse_upload(data: bytes, name: str, settings: Settings, *, max_bytes: int | None = None) -> Parsed:
    """:func:`parse` with the limits of ``settings`` (the upload size, or ``max_bytes`` when given)."""
    return parse(
        data,
        name,
        max_bytes=settings.max_upload_bytes if max_bytes is None else max_bytes,
        max_features=settings.max_features,
        max_uncompressed=settings.max_uncompressed_bytes,
    )


def _parse(data: bytes, name: str, limits: Limits) -> Parsed:
    if data.startswith(b"PK"):
        return _zip(data, name, limits)
    if data.startswith(b"SQLite format 3"):
        return _read_with_ogr(data, name, ".gpkg", "a GeoPackage", limits)
    if data.startswith(b"fgb\x03"):
        return _read_with_ogr(data, name, ".fgb", "FlatGeobuf", limits)
    if data.startswith(b"PAR1"):
        return _read_parquet(data, name)
    problem = _binary(data, name)
    if problem:
        raise problem
    notes = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeError as exc:  # a byte-order mark, then no valid UTF-16 (or a lone surrogate)
            msg = f"{name} starts as UTF-16 text but is not valid UTF-16 ({exc.reason} at byte {exc.start})."
            raise InputError(msg, hint="Save the file as UTF-8 GeoJSON.") from None
        notes.append("The file was UTF-16 text; it was read as such (RFC 8259 asks for UTF-8).")
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    first = text.lstrip()[:1]
    if first == b"<":
        head = text[:2000].lower()
        if b"<kml" in head:
            return _read_with_ogr(data, name, ".kml", "KML", limits)
        what = "GPX" if b"<gpx" in head else "GML" if b"gml" in head else "XML or HTML"
        msg = f"{name} is {what}, not GeoJSON."
        raise InputError(msg, hint=CONVERT_HINT.format(name=name))
    if first in (b"{", b"[", b"\x1e", b'"') or text.lstrip()[:4] in (b"null", b"true", b"fals"):
        # Counted in the bytes before parsing (parsed, a million small features take gigabytes).
        limits.check_count(text.count(b'"Feature"'), name, about=True)
        parsed = parse_lines(text, name) if looks_like_lines(text, name) else parse_json(text, name)
        parsed.notes[:0] = notes
        return parsed
    problem = _csv(text, name)
    if problem:
        raise problem
    if first.isdigit() or first == b"-":
        msg = f"{name} starts with a number ({text[:20]!r}): it is not GeoJSON."
        raise InputError(msg, hint=FORMATS_HINT)
    msg = f"{name} is not a format this tool reads (it starts with {data[:16]!r})."
    raise InputError(msg, hint=FORMATS_HINT)
