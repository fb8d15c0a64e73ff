"""Map a CSV export (ACLED, UCDP GED or any table) onto the incident schema, then validate it as a batch."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from geo.errors import InputError
from geo.ingest.batch import read_batch
from geo.ingest.result import IngestResult, Issue
from geo.schema import FIELDS, FIELDS_BY_NAME
from geo.settings import Settings, load_settings

LONGITUDE, LATITUDE = "longitude", "latitude"
# Where a mapping can send a value: every schema field, and the two coordinates of the Point.
TARGETS: tuple[str, ...] = (LONGITUDE, LATITUDE, *(f.name for f in FIELDS))
# Unmapped CSV columns are kept in the report's `extra`, under this one property: flat, a column named
# like a schema field (ACLED's `source`) would clash, and UCDP's names would read as a foreign schema.
KEPT = "original"
END_FIELDS = frozenset({"occurred_to"})
DATE_FORMATS = ("ISO8601", "%d %B %Y", "%d-%b-%Y", "%d/%m/%Y")
TABLE_SUFFIXES = (".csv", ".tsv")
MAPPING_HINT = "Edit the mapping (docs/IMPORT.md) or choose another preset."


@dataclass(frozen=True)
class ColumnMapping:
    """How the columns of a CSV become incident report fields.

    Attributes
    ----------
    name
        A label recorded with the batch (``acled``, ``ucdp`` or the user's).
    columns
        Target (a schema field, ``longitude`` or ``latitude``) -> CSV column it is read from. One
        column may feed several targets (ACLED's ``event_date`` gives both ends of the day).
    constants
        Target -> one value for every row (``source``: ``"ACLED"``).
    values
        Target -> {CSV value -> schema value}: a value map for a coded column. For a field with fixed
        choices a value not in the map is passed on and rejected by validation, naming the choices;
        for another field it is left empty with a warning.
    day_dates
        The source's times are days: a date without a time is the start of that day, and the
        end of it for ``occurred_to``. Naive times are UTC in any case.
    """

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    day_dates: bool = False

    def to_json(self) -> str:
        """The mapping as JSON text (what ``--mapping FILE.json`` reads)."""
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False)


ACLED = ColumnMapping(
    name="acled",
    columns={
        "id": "event_id_cnty",
        "occurred_from": "event_date",
        "occurred_to": "event_date",
        "time_precision": "time_precision",
        "type": "sub_event_type",
        LONGITUDE: "longitude",
        LATITUDE: "latitude",
        "location_precision_m": "geo_precision",
        "casualties_best": "fatalities",
        "description": "notes",
    },
    constants={"source": "ACLED", "source_type": "open_source", "means": "party_report"},
    values={
        # ACLED codebook: 1 the day is known, 2 the week, 3 the month.
        "time_precision": {"1": "day", "2": "week", "3": "month"},
        # Political violence sub-event types; demonstrations and strategic developments stay unmapped.
        "type": {
            "Armed clash": "burst_or_shots",
            "Shelling/artillery/missile attack": "impact",
            "Air/drone strike": "air_or_drone_strike",
            "Remote explosive/landmine/IED": "mine",
            "Grenade": "undetermined_explosion",
            "Suicide bomb": "undetermined_explosion",
            "Government regains territory": "line_crossing",
            "Non-state actor overtakes territory": "line_crossing",
            "Attack": "other",
            "Abduction/forced disappearance": "other",
            "Disrupted weapons use": "other",
            "Looting/property destruction": "other",
        },
        # 1 the town itself, 2 near a town or part of a region, 3 only the region (its capital).
        "location_precision_m": {"1": "2000", "2": "15000", "3": "50000"},
    },
    day_dates=True,
)

UCDP = ColumnMapping(
    name="ucdp",
    columns={
        "id": "id",
        "occurred_from": "date_start",
        "occurred_to": "date_end",
        "time_precision": "date_prec",
        LONGITUDE: "longitude",
        LATITUDE: "latitude",
        "location_precision_m": "where_prec",
        "casualties_low": "low",
        "casualties_best": "best",
        "casualties_high": "high",
        "description": "source_headline",
    },
    constants={"source": "UCDP GED", "type": "other", "source_type": "open_source"},
    values={
        # UCDP GED codebook: 1 the day, 2 within 2-6 days, 3 the week, 4 the month, 5 the year.
        "time_precision": {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"},
        # 1 the place, 2 within 25 km, 3 a second-order unit, 4 a first-order unit, 5 a linear
        # feature (road, river), 6 the country, 7 waters or air space.
        "location_precision_m": {
            "1": "1000",
            "2": "25000",
            "3": "50000",
            "4": "150000",
            "5": "50000",
            "6": "500000",
            "7": "500000",
        },
    },
    day_dates=True,
)

PRESETS: dict[str, ColumnMapping] = {"acled": ACLED, "ucdp": UCDP}


def guess_preset(columns: list[str]) -> str | None:
    """Return the preset whose columns the CSV has (``acled``, ``ucdp``), or None."""
    have = set(columns)
    for name, preset in PRESETS.items():
        if set(preset.columns.values()) <= have:
            return name
    return None


# Column names read as coordinates when no preset fits.
COORDINATE_NAMES = {LONGITUDE: ("longitude", "lon", "lng", "long", "x"), LATITUDE: ("latitude", "lat", "y")}


def is_table(filename: str) -> bool:
    """Whether a file name is a CSV (or tab-separated) table, read through a column mapping."""
    return filename.lower().endswith(TABLE_SUFFIXES)


def suggest_mapping(columns: list[str], *, presets: bool = True) -> ColumnMapping:
    """The preset the columns fit, else a mapping of the columns named like schema fields or coordinates."""
    preset = guess_preset(columns) if presets else None
    if preset is not None:
        return PRESETS[preset]
    lower = {c.strip().lower(): c for c in columns}
    found = {t: lower[t] for t in TARGETS if t in lower}
    for target, names in COORDINATE_NAMES.items():
        found.setdefault(target, next((lower[n] for n in names if n in lower), None))
    return ColumnMapping(name="custom", columns={t: c for t, c in found.items() if c is not None})


def load_mapping(spec: str) -> ColumnMapping:
    """Return a preset by name (``acled``, ``ucdp``) or the mapping in a JSON file.

    Raises
    ------
    InputError
        When ``spec`` is neither a preset nor a readable mapping file.
    """
    if spec.lower() in PRESETS:
        return PRESETS[spec.lower()]
    path = Path(spec)
    if not path.is_file():
        msg = f"--mapping {spec!r} is neither a preset ({', '.join(PRESETS)}) nor a mapping file."
        raise InputError(msg, hint="Name a preset or the path of a JSON mapping (docs/IMPORT.md).")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"The mapping file {path.name} is not valid JSON ({exc})."
        raise InputError(msg, hint="Fix the file; `python -m geo` docs/IMPORT.md shows an example.") from None
    return mapping_from_dict(doc, where=path.name)


def _text_dict(value: Any, *, where: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
        msg = f"{where}: {key!r} must be an object of text values, not {value!r:.80}."
        raise InputError(msg, hint=MAPPING_HINT)
    return {str(k): str(v) for k, v in value.items()}


def mapping_from_dict(doc: Any, *, where: str = "the mapping") -> ColumnMapping:
    """Build a :class:`ColumnMapping` from its JSON form, refusing unknown keys and wrong types."""
    known = {f.name for f in dataclasses.fields(ColumnMapping)}
    if not isinstance(doc, dict) or set(doc) - known:
        extra = sorted(set(doc) - known) if isinstance(doc, dict) else []
        msg = (
            f"{where} is not a column mapping"
            + (f" (unknown keys {', '.join(extra)})" if extra else "")
            + "."
        )
        raise InputError(
            msg, hint=f"Give an object with the keys {', '.join(sorted(known))} (docs/IMPORT.md)."
        )
    values = doc.get("values", {})
    if not isinstance(values, dict):
        msg = f"{where}: 'values' must be an object of value maps, not {values!r:.80}."
        raise InputError(msg, hint=MAPPING_HINT)
    return ColumnMapping(
        name=str(doc.get("name") or "custom"),
        columns=_text_dict(doc.get("columns", {}), where=where, key="columns"),
        constants=_text_dict(doc.get("constants", {}), where=where, key="constants"),
        values={str(t): _text_dict(m, where=where, key=f"values.{t}") for t, m in values.items()},
        day_dates=bool(doc.get("day_dates", False)),
    )


def read_csv(data: bytes, *, filename: str) -> pd.DataFrame:
    """Read a CSV export as text columns (nothing converted, empty cells as empty text).

    Raises
    ------
    InputError
        When the file is not UTF-8 CSV text with a header and at least one row.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{filename} is not UTF-8 text (byte {exc.start} cannot be read)."
        raise InputError(msg, hint="Export the CSV as UTF-8 (ACLED and UCDP exports are).") from None
    header = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=header.count)
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{filename} could not be read as CSV ({str(exc).strip()})."
        raise InputError(msg, hint="Check that every row has as many cells as the header.") from None
    if table.empty or len(table.columns) < 2:
        msg = f"{filename} has no data rows or only one column."
        raise InputError(msg, hint="Upload a CSV with a header row and one row per event.")
    return table


def _column_error(column: str, target: str, columns: list[str]) -> InputError:
    near = difflib.get_close_matches(column, columns, n=3)
    maybe = f" Did you mean {', '.join(repr(c) for c in near)}?" if near else ""
    msg = f"The mapping reads {target} from column {column!r}, which the CSV does not have.{maybe}"
    return InputError(
        msg, hint=f"Pick one of the CSV's columns ({', '.join(columns[:12])}, ...), or another preset."
    )


def _check_choice(target: str, value: str, *, what: str) -> None:
    spec = FIELDS_BY_NAME.get(target)
    if spec is not None and spec.choices and value not in {str(c) for c in spec.choices}:
        msg = f"The mapping gives {target} the value {value!r} ({what}), which is not one of its choices."
        raise InputError(msg, hint=f"Use one of {', '.join(str(c) for c in spec.choices)}.")


def check_mapping(mapping: ColumnMapping, columns: list[str]) -> None:
    """Check a mapping against a CSV's columns before any row is read.

    Raises
    ------
    InputError
        Naming the first problem: an unknown target, a column the CSV lacks, a target given twice,
        a value outside a field's choices, or no id, source, type, time or coordinates.
    """
    for target in [*mapping.columns, *mapping.constants, *mapping.values]:
        if target not in TARGETS:
            msg = f"The mapping names {target!r}, which is not an incident field."
            raise InputError(msg, hint=f"Map to one of {', '.join(TARGETS)} (docs/SCHEMA.md).")
    for target, column in mapping.columns.items():
        if column not in columns:
            raise _column_error(column, target, columns)
    both = sorted(set(mapping.columns) & set(mapping.constants))
    if both:
        msg = f"The mapping gives {', '.join(both)} both a column and a constant."
        raise InputError(msg, hint="Keep one of the two for each field.")
    for target, value in mapping.constants.items():
        _check_choice(target, value, what="a constant")
    for target, values in mapping.values.items():
        if target not in mapping.columns:
            msg = f"The mapping has a value map for {target} but reads {target} from no column."
            raise InputError(msg, hint=f"Choose the column {target} comes from, or drop its value map.")
        for source, value in values.items():
            _check_choice(target, value, what=f"for {source!r}")
    given = set(mapping.columns) | set(mapping.constants)
    needs = [("id",), ("source",), ("type",), (LONGITUDE,), (LATITUDE,)]
    for group in needs:
        if not given & set(group):
            msg = f"The mapping gives no {group[0]}."
            raise InputError(msg, hint=f"Choose the column {group[0]} comes from, or give it a constant.")
    if "occurred_at" not in given and not {"occurred_from", "occurred_to"} <= given:
        msg = "The mapping gives no time."
        raise InputError(msg, hint="Map occurred_at, or both occurred_from and occurred_to, to date columns.")


def _times(text: pd.Series, *, end: bool, day_dates: bool) -> pd.Series:
    """ISO 8601 UTC text of each time; a value that cannot be read stays as it was, for validation to name."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    for fmt in DATE_FORMATS:
        todo = parsed.isna() & (text != "")
        if not todo.any():
            break
        got = pd.to_datetime(text[todo], format=fmt, errors="coerce", utc=True)
        parsed[todo] = got
    day = ~text.str.contains(":", regex=False)
    if day_dates:
        day[:] = True
    parsed = parsed.where(~day, parsed.dt.floor("D"))
    if end:
        parsed = parsed.where(~day, parsed + pd.Timedelta(days=1) - pd.Timedelta(seconds=1))
    out = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S%z").astype(object)
    return out.where(parsed.notna(), text.where(text != "", None))


def _numbers(text: pd.Series, *, integer: bool) -> pd.Series:
    """Numbers from text; a value that is not a number stays as text, for validation to name."""
    number = pd.to_numeric(text.where(text != ""), errors="coerce")
    out = number.astype(object)
    if integer:
        whole = number.notna() & (number % 1 == 0)
        out[whole] = number[whole].astype("int64")
    return out.where(number.notna(), text.where(text != "", None))


def _converted(target: str, text: pd.Series, mapping: ColumnMapping) -> pd.Series:
    spec = FIELDS_BY_NAME.get(target)
    kind = "number" if spec is None else spec.kind
    if kind == "datetime":
        return _times(text, end=target in END_FIELDS, day_dates=mapping.day_dates)
    if kind in ("number", "integer") or (
        spec is not None and spec.choices and isinstance(spec.choices[0], int)
    ):
        return _numbers(text, integer=kind != "number")
    return text.where(text != "", None).astype(object)


def _mapped_text(
    target: str, column: pd.Series, mapping: ColumnMapping, ids: pd.Series
) -> tuple[pd.Series, list[Issue]]:
    """The column's text after the value map of ``target``; warnings for values the map lacks."""
    text = column.str.strip()
    values = mapping.values.get(target)
    if not values:
        return text, []
    mapped = text.map(values)
    spec = FIELDS_BY_NAME.get(target)
    if spec is not None and spec.choices:
        # Passed on: validation rejects it and names the allowed values.
        return mapped.fillna(text), []
    missing = mapped.isna() & (text != "")
    source = mapping.columns[target]
    issues = [
        Issue(
            int(r), ids.iloc[r], target,
            f"{source} {text.iloc[r]!r} has no entry in the mapping's value map for {target}; it was left empty.",
            f"Add {text.iloc[r]!r} to the value map of {target}.",
            "warning",
        )
        for r in np.flatnonzero(missing.to_numpy())
    ]  # fmt: skip
    return mapped.fillna(""), issues


def to_features(table: pd.DataFrame, mapping: ColumnMapping) -> tuple[dict[str, Any], list[Issue]]:
    """Turn the rows of a CSV into a GeoJSON FeatureCollection in the incident schema.

    Parameters
    ----------
    table
        The CSV as text columns (:func:`read_csv`).
    mapping
        Checked against the table first (:func:`check_mapping`).

    Returns
    -------
    tuple
        The FeatureCollection (one Feature per row, in order) and the mapping's own warnings.
        Unmapped columns are kept in one extra property, ``original`` (column -> text).
    """
    check_mapping(mapping, list(table.columns))
    table = table.reset_index(drop=True)
    ids = (
        table[mapping.columns["id"]].astype(object)
        if "id" in mapping.columns
        else pd.Series(mapping.constants["id"], index=table.index, dtype=object)
    )
    props: dict[str, pd.Series] = {}
    issues: list[Issue] = []
    for target, column in mapping.columns.items():
        text, said = _mapped_text(target, table[column], mapping, ids)
        issues += said
        props[target] = _converted(target, text, mapping)
    for target, value in mapping.constants.items():
        props[target] = _converted(target, pd.Series(value, index=table.index, dtype=object), mapping)
    used = set(mapping.columns.values())
    kept = table[[c for c in table.columns if c not in used]].to_dict("records")
    lon, lat = props.pop(LONGITUDE), props.pop(LATITUDE)
    records = pd.DataFrame(props).to_dict("records")
    features = [
        {
            "type": "Feature",
            "geometry": None if x is None and y is None else {"type": "Point", "coordinates": [x, y]},
            "properties": {k: v for k, v in p.items() if v is not None}
            | ({KEPT: {k: v for k, v in o.items() if v != ""}} if o else {}),
        }
        for p, o, x, y in zip(records, kept, lon.tolist(), lat.tolist(), strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}, issues


def read_mapped_csv(
    data: bytes, *, filename: str, mapping: ColumnMapping, settings: Settings | None = None
) -> IngestResult:
    """Read a CSV export through a column mapping and validate it like any batch.

    The rows become GeoJSON Features (:func:`to_features`) that :func:`geo.ingest.read_batch`
    validates; the result carries the CSV's own SHA-256 and name, so the store keeps the CSV as the
    original file, and its notes record the mapping used. Feature numbers are the CSV's data rows,
    counted from 0.

    Raises
    ------
    InputError
        When the CSV cannot be read, is too large, or the mapping does not fit it.
    """
    settings = settings or load_settings()
    if len(data) > settings.max_upload_bytes:
        msg = f"{filename} is {len(data) / 1e6:.1f} MB, above the {settings.max_upload_mb:g} MB upload limit."
        raise InputError(msg, hint="Split the export by period, or raise max_upload_mb in ceasefire.toml.")
    table = read_csv(data, filename=filename)
    collection, issues = to_features(table, mapping)
    geojson = orjson.dumps(collection, option=orjson.OPT_SERIALIZE_NUMPY)
    result = read_batch(geojson, filename=filename, settings=settings)
    compact = json.dumps(dataclasses.asdict(mapping), ensure_ascii=False, separators=(",", ":"))
    note = f"Read as CSV through the {mapping.name!r} column mapping (kept with the batch): {compact}"
    return dataclasses.replace(
        result,
        issues=[*result.issues, *issues],
        notes=[*result.notes, note],
        sha256=hashlib.sha256(data).hexdigest(),
        format=f"csv ({mapping.name} mapping)",
    )


def mapping_tables(
    mapping: ColumnMapping, table: pd.DataFrame | None = None, *, max_values: int = 200
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mapping as two editable tables (the Upload page's data editors).

    Returns
    -------
    tuple
        ``fields``: one row per target (``field``, ``column``, ``constant``, ``description``);
        ``values``: one row per value-map entry (``field``, ``csv_value``, ``value``). With the
        ``table``, every distinct value of a coded column (a value-mapped one, or one feeding a field
        with fixed choices) gets a row, empty when the map lacks it, so the user sees what is unmapped.
    """
    fields = pd.DataFrame(
        {
            "field": list(TARGETS),
            "column": [mapping.columns.get(t) for t in TARGETS],
            "constant": [mapping.constants.get(t) for t in TARGETS],
            "description": [
                FIELDS_BY_NAME[t].description if t in FIELDS_BY_NAME else f"{t} of the Point (WGS84)"
                for t in TARGETS
            ],
        }
    )
    rows = [(t, k, v) for t, m in mapping.values.items() for k, v in m.items()]
    if table is not None:
        for target, column in mapping.columns.items():
            spec = FIELDS_BY_NAME.get(target)
            coded = target in mapping.values or (spec is not None and spec.kind == "enum")
            if not coded or column not in table:
                continue
            seen = pd.unique(table[column].str.strip())
            known = mapping.values.get(target, {})
            allowed = {str(c) for c in spec.choices} if spec is not None else set()
            extra = [v for v in seen if v and v not in known and v not in allowed]
            rows += [(target, v, None) for v in extra[:max_values]]
    values = pd.DataFrame(rows, columns=["field", "csv_value", "value"], dtype=object)
    return fields, values


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def mapping_from_tables(
    name: str, fields: pd.DataFrame, values: pd.DataFrame, *, day_dates: bool
) -> ColumnMapping:
    """Build the mapping back from the two tables of :func:`mapping_tables` (as the user edited them).

    Rows with neither a column nor a constant, and value rows without a value, are left out.
    """
    columns, constants = {}, {}
    for target, column, constant in fields[["field", "column", "constant"]].itertuples(index=False):
        if _cell(column):
            columns[str(target)] = _cell(column)
        if _cell(constant):
            constants[str(target)] = _cell(constant)
    maps: dict[str, dict[str, str]] = {}
    for target, source, value in values[["field", "csv_value", "value"]].itertuples(index=False):
        if _cell(target) and _cell(source) is not None and _cell(value):
            maps.setdefault(str(target), {})[str(source).strip()] = _cell(value)
    return ColumnMapping(name=name, columns=columns, constants=constants, values=maps, day_dates=day_dates)


def read_upload(
    data: bytes,
    *,
    filename: str,
    mapping: str | ColumnMapping | None = None,
    settings: Settings | None = None,
) -> IngestResult:
    """Read a batch: through a column mapping (a preset name, a JSON file or a mapping) when one is given.

    Raises
    ------
    InputError
        When a CSV comes without a mapping (naming the preset its columns fit), and as
        :func:`read_mapped_csv` and :func:`geo.ingest.read_batch` do.
    """
    if mapping is None:
        if is_table(filename):
            guess = guess_preset(list(read_csv(data, filename=filename).columns))
            fit = f" Its columns are {PRESETS[guess].name.upper()}'s." if guess else ""
            msg = f"{filename} is a CSV table: it needs a column mapping onto the incident schema.{fit}"
            hint = f"Add --mapping {guess or 'acled|ucdp|MAPPING.json'} (docs/IMPORT.md)."
            raise InputError(msg, hint=hint)
        return read_batch(data, filename=filename, settings=settings)
    chosen = load_mapping(mapping) if isinstance(mapping, str) else mapping
    return read_mapped_csv(data, filename=filename, mapping=chosen, settings=settings)
