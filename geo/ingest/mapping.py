"""Map a CSV export (ACLED, UCDP GED or any table) onto the incident schema, then validate it as a batch."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
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
# The date fields a mapping can read, and the formats that need no decision: ISO 8601, "5 February 2014",
# "05-Feb-2014". Numeric dates with the day and month in either order go through `date_orders` first.
DATE_TARGETS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "datetime")
DATE_FORMATS = ("ISO8601", "%d %B %Y", "%d-%b-%Y")
# A numeric date: day and month in either order (05/02/2014, 5-2-2014, 05.02.2014), a four-digit year,
# and an optional time, 24-hour or 12-hour with AM/PM (Excel writes UCDP's "1/22/2014 12:00:00 AM").
NUMERIC_DATE = (
    r"^(?P<first>\d{1,2})(?P<sep>[/.-])(?P<second>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<sec>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"(?:\s*(?P<half>[AaPp])\.?[Mm]\.?)?)?$"
)
_FIRST = {True: "day", False: "month"}  # what a day-month order (dayfirst) puts first
DATE_ORDER_HINT = (
    'Set "dayfirst": true or false (or "date_format": "%m/%d/%Y") for it in the mapping, '
    'or choose "Numeric dates" on the Upload page.'
)
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
    dayfirst
        Whether numeric dates (05/02/2014) are day first (True) or month first (False), for every
        date field or as {field: bool}. None: each column decides (:func:`date_orders`), and a
        column where nothing decides is refused.
    date_format
        A strptime format (``"%m/%d/%Y"``) tried first on the date fields' values, for every date
        field or as {field: format}; one naming the day and month before the year states the order
        like ``dayfirst``.
    encoding
        The text encoding of a CSV (``"cp1252"`` for a Windows export); None: UTF-8, and a file that
        is not UTF-8 is refused naming this key. The encoding used is noted with the batch.
    id_from
        When the source has no id column (NASA FIRMS): the columns whose values make each row's id, a
        stable hash of them (``["latitude", "longitude", "acq_date", "acq_time", "satellite"]``), or
        ``["*"]`` for every column. The same row always gets the same id, so importing a file again
        duplicates nothing; two rows with the same values are one report (the second is rejected as a
        duplicate, naming the first).
    optional
        Targets whose column a file may lack (a UCDP GED GeoJSON has no ``source_headline``): the
        target is then left empty, and the batch notes say so. Any other missing column is refused.
    """

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    day_dates: bool = False
    dayfirst: bool | dict[str, bool] | None = None
    date_format: str | dict[str, str] | None = None
    encoding: str | None = None
    id_from: list[str] | None = None
    optional: list[str] = field(default_factory=list)

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
        "type": "type_of_violence",
    },
    optional=["description"],
    # No date order: GED's own CSV is ISO 8601, an Excel export of it month first ("1/22/2014
    # 12:00:00 AM"); `date_orders` lets the date columns decide and refuses one where nothing does.
    constants={"source": "UCDP GED", "source_type": "open_source"},
    values={
        # UCDP GED's type of violence: 1 state-based and 2 non-state armed conflict are fatal fighting
        # between armed groups, read as an armed clash (as ACLED's "Armed clash"); 3 one-sided violence
        # against civilians has no type of its own here.
        "type": {"1": "burst_or_shots", "2": "burst_or_shots", "3": "other"},
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
        needed = {c for t, c in preset.columns.items() if t not in preset.optional}
        if needed <= have:
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
    for target, column in ((LONGITUDE, GEOMETRY_LON), (LATITUDE, GEOMETRY_LAT)):
        if found.get(target) is None and column in columns:
            found[target] = column
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
    dayfirst = _per_target(doc.get("dayfirst"), bool, where=where, key="dayfirst", what="true or false")
    date_format = _per_target(doc.get("date_format"), str, where=where, key="date_format", what="a format")
    return ColumnMapping(
        name=str(doc.get("name") or "custom"),
        columns=_text_dict(doc.get("columns", {}), where=where, key="columns"),
        constants=_text_dict(doc.get("constants", {}), where=where, key="constants"),
        values={str(t): _text_dict(m, where=where, key=f"values.{t}") for t, m in values.items()},
        day_dates=bool(doc.get("day_dates", False)),
        dayfirst=dayfirst,
        date_format=date_format,
        encoding=_optional_text(doc.get("encoding"), where=where, key="encoding"),
        id_from=_text_list(doc.get("id_from"), where=where, key="id_from"),
        optional=_text_list(doc.get("optional") or None, where=where, key="optional") or [],
    )


def _optional_text(value: Any, *, where: str, key: str) -> str | None:
    if value is None or (isinstance(value, str) and value.strip()):
        return value.strip() if isinstance(value, str) else None
    raise InputError(
        f'{where}: {key!r} must be a name such as "cp1252", not {value!r:.80}.', hint=MAPPING_HINT
    )


def _text_list(value: Any, *, where: str, key: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return [str(v) for v in value]
    msg = f'{where}: {key!r} must be a list of column names (or ["*"]), not {value!r:.80}.'
    raise InputError(msg, hint=MAPPING_HINT)


def _per_target(value: Any, kind: type, *, where: str, key: str, what: str) -> Any:
    """A setting for every date field (``value`` of ``kind``), or an object {field: value}, or None."""
    if value is None or isinstance(value, kind):
        return value
    if isinstance(value, dict) and all(isinstance(v, kind) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    msg = f"{where}: {key!r} must be {what}, or an object of date field -> {what}, not {value!r:.80}."
    raise InputError(msg, hint=MAPPING_HINT)


def read_csv(data: bytes, *, filename: str, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV export as text columns (nothing converted, empty cells as empty text).

    ``encoding`` None reads UTF-8 (with or without a byte-order mark) and refuses other text; a name
    (``cp1252``) reads the file in it. Nothing is guessed: cp1252 and UTF-8 decode many of the same
    bytes to different letters.

    Raises
    ------
    InputError
        When the file is not CSV text in the encoding, with a header and at least one row.
    """
    try:
        text = data.decode(encoding or "utf-8-sig")
    except LookupError:
        msg = f"The mapping's encoding {encoding!r} is not an encoding Python knows."
        raise InputError(msg, hint='Use a name such as "utf-8", "cp1252", "latin-1" or "cp1251".') from None
    except UnicodeDecodeError as exc:
        sample = data[max(0, exc.start - 20) : exc.start + 20]
        used = encoding or "UTF-8"
        msg = f"{filename} is not {used} text: byte {exc.start} ({data[exc.start : exc.start + 1]!r}, in {sample!r}) cannot be read."
        raise InputError(
            msg,
            hint='Give the file\'s encoding in the mapping ("encoding": "cp1252" for a Windows export), '
            "or export it as UTF-8.",
        ) from None
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
    msg = f"The mapping reads {target} from column {column!r}, which the file does not have.{maybe}"
    return InputError(
        msg, hint=f"Pick one of the file's columns ({', '.join(columns[:12])}, ...), or another preset."
    )


def fitted(mapping: ColumnMapping, columns: list[str]) -> tuple[ColumnMapping, list[str]]:
    """The mapping without its optional targets whose column the file lacks, and a note for each."""
    absent = [t for t in mapping.optional if t in mapping.columns and mapping.columns[t] not in columns]
    if not absent:
        return mapping, []
    kept = {t: c for t, c in mapping.columns.items() if t not in absent}
    notes = [
        f"The file has no column {mapping.columns[t]!r}: {t} is left empty (optional in the {mapping.name!r} mapping)."
        for t in absent
    ]
    return dataclasses.replace(mapping, columns=kept), notes


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
    given = set(mapping.columns) | set(mapping.constants) | ({"id"} if mapping.id_from else set())
    if mapping.id_from and "id" in mapping.columns:
        msg = f"The mapping reads id from the column {mapping.columns['id']!r} and derives it from {mapping.id_from}."
        raise InputError(msg, hint="Keep one of the two.")
    for column in mapping.id_from or []:
        if column != "*" and column not in columns:
            raise _column_error(column, "id", columns)
    needs = [("id",), ("source",), ("type",), (LONGITUDE,), (LATITUDE,)]
    for group in needs:
        if not given & set(group):
            msg = f"The mapping gives no {group[0]}."
            raise InputError(msg, hint=f"Choose the column {group[0]} comes from, or give it a constant.")
    if "occurred_at" not in given and not {"occurred_from", "occurred_to"} <= given:
        msg = "The mapping gives no time."
        raise InputError(msg, hint="Map occurred_at, or both occurred_from and occurred_to, to date columns.")
    for key in ("dayfirst", "date_format"):
        setting = getattr(mapping, key)
        for target in setting if isinstance(setting, dict) else ():
            if target not in DATE_TARGETS:
                msg = f'The mapping gives "{key}" for {target!r}, which is not a date field.'
                raise InputError(
                    msg, hint=f"Give it for {', '.join(DATE_TARGETS)}, or one value for all of them."
                )
    for target in DATE_TARGETS:
        fmt = _for_target(mapping.date_format, target)
        if fmt is not None:
            _check_format(fmt)
        _stated_order(mapping, target)


def _for_target(setting: Any, target: str) -> Any:
    """A mapping's date setting for one field: the one value for all, or the field's entry."""
    return setting.get(target) if isinstance(setting, dict) else setting


def _check_format(fmt: str) -> None:
    """Refuse a date_format that is not a strptime format (a sample date must survive a round trip)."""
    sample = datetime(2014, 5, 2, 13, 5, 6)
    try:
        ok = "%" in fmt and bool(datetime.strptime(sample.strftime(fmt), fmt))
    except ValueError:
        ok = False
    if not ok:
        msg = f'The mapping\'s "date_format" {fmt!r} is not a strptime format.'
        raise InputError(msg, hint='Write it with directives, such as "%m/%d/%Y" or "%d.%m.%Y %H:%M".')


def _format_order(fmt: str) -> bool | None:
    """Whether a format reads day first (True), month first (False), or says neither (None).

    Only a format with the day and the month before the year (or without a year) says it: a year-first
    format (``%Y-%m-%d``) says nothing about 05/02/2014.
    """
    day, month, year = (re.search(p, fmt) for p in (r"%-?d", r"%-?m", r"%-?[Yy]"))
    if day is None or month is None or (year is not None and year.start() < max(day.start(), month.start())):
        return None
    return day.start() < month.start()


def _stated_order(mapping: ColumnMapping, target: str) -> tuple[bool | None, str]:
    """The order the mapping states for a date field's numeric dates, and where it says so.

    Raises
    ------
    InputError
        When ``dayfirst`` and ``date_format`` state different orders.
    """
    dayfirst = _for_target(mapping.dayfirst, target)
    fmt = _for_target(mapping.date_format, target)
    implied = None if fmt is None else _format_order(fmt)
    said = f'"dayfirst": {str(dayfirst).lower()}'
    if implied is not None and dayfirst is not None and implied != dayfirst:
        msg = f'The mapping gives {target} {said}, but "date_format": "{fmt}", which reads the {_FIRST[implied]} first.'
        raise InputError(msg, hint="Keep one of the two, or make them agree.")
    if implied is not None:
        return implied, f'"date_format": "{fmt}"'
    return dayfirst, said if dayfirst is not None else ""


@dataclass(frozen=True, eq=False)
class DateOrder:
    """How one date column's numeric dates (05/02/2014) are read, and what decided it.

    Attributes
    ----------
    column
        The CSV column (or the constant) the dates come from, as messages name it.
    dayfirst
        True: day first; False: month first; None: no date in it reads differently either way
        (every one has the same day and month number, or is no date at all).
    why
        What decided the order, for the batch's notes.
    dates
        The numeric dates read in that order (UTC), by row; NaT for one that is no date (13/13/2014),
        left for validation to name.
    """

    column: str
    dayfirst: bool | None
    why: str
    dates: pd.Series

    @property
    def note(self) -> str | None:
        """One line for the batch's notes, or None when the order did not matter."""
        if self.dayfirst is None:
            return None
        return f"The numeric dates of the {self.column} were read {_FIRST[self.dayfirst]} first: {self.why}."


def _numeric_dates(parts: pd.DataFrame, *, dayfirst: bool) -> pd.Series:
    """Numeric dates (the groups of NUMERIC_DATE) as UTC times, NaT where they are no date in this order.

    A 12-hour time counts 12 AM as midnight and 12 PM as noon; an hour of 0 or above 12 with AM/PM, a
    24th hour or a 60th minute makes the value no date (pandas would carry it over into the next one).
    """

    def ints(name: str) -> np.ndarray:
        return parts[name].fillna("0").astype("int64").to_numpy()

    first, second, year, hour, minute, sec = map(ints, ("first", "second", "year", "hour", "minute", "sec"))
    half = parts["half"].str.upper().fillna("").to_numpy(dtype=str)
    twelve = half != ""
    clock = (hour < 24) & (minute < 60) & (sec < 60) & (~twelve | ((hour >= 1) & (hour <= 12)))
    hour = np.where(twelve, hour % 12 + np.where(half == "P", 12, 0), hour)
    day, month = (first, second) if dayfirst else (second, first)
    micro = parts["fraction"].fillna("").str.slice(0, 6).str.ljust(6, "0").astype("int64").to_numpy()
    frame = pd.DataFrame(
        {
            "year": year,
            "month": month,
            "day": day,
            "hour": hour,
            "minute": minute,
            "second": sec,
            "us": micro,
        },
        index=parts.index,
    )
    got = pd.to_datetime(frame, errors="coerce", utc=True).astype("datetime64[us, UTC]")
    return got.where(clock)


def _day_month(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series] | None:
    """The numeric dates among ``text``: their text, and read day first and month first; None if none.

    Each distinct value is read once (a date column repeats its days), then spread to its rows.
    """
    codes, distinct = pd.factorize(text)
    parts = pd.Series(distinct, dtype=object).str.extract(NUMERIC_DATE)
    numeric = np.append(parts["year"].notna().to_numpy(), False)  # code -1 (a missing value): not numeric
    rows = numeric[codes]
    if not rows.any():
        return None
    parts = parts[numeric[:-1]]
    where = codes[rows]

    def spread(read: pd.Series) -> pd.Series:
        return pd.Series(read.reindex(range(len(distinct))).to_numpy()[where], index=text.index[rows])

    return (
        text[rows],
        spread(_numeric_dates(parts, dayfirst=True)),
        spread(_numeric_dates(parts, dayfirst=False)),
    )


def _reading(when: pd.Timestamp) -> str:
    return f"{when.day} {when:%B %Y}"


def _decide(
    column: str, kind: str, found: tuple[pd.Series, pd.Series, pd.Series], stated: bool | None, said: str
) -> DateOrder:
    """The order of one column's numeric dates: the one stated, checked against the values, or the one
    they show.

    A value whose first number is above 12 (22/01/2014) can only be day first; one whose second is
    (01/22/2014) only month first; others (05/02/2014) read either way.

    Raises
    ------
    InputError
        When the values contradict the order stated, show both orders, or (nothing stated) none at all
        while some value reads differently either way.
    """
    text, dmy, mdy = found
    only = {True: dmy.notna() & mdy.isna(), False: mdy.notna() & dmy.isna()}
    example = {first: (int(np.argmax(m.to_numpy())) if m.any() else None) for first, m in only.items()}

    def shown(first: bool) -> str:
        i = example[first]
        when = (dmy if first else mdy).iloc[i]
        return f"{text.iloc[i]} (row {text.index[i]}), which can only be {_FIRST[first]} first ({_reading(when)})"

    if stated is not None:
        if example[not stated] is not None:
            msg = f"The mapping says the {column} is {_FIRST[stated]} first ({said}), but it holds {shown(not stated)}."
            hint = f"Remove {said} (the column then decides) or state the other order, or correct the value."
            raise InputError(msg, hint=hint)
        return DateOrder(column, stated, f"as the mapping says ({said})", dmy if stated else mdy)
    if example[True] is not None and example[False] is not None:
        msg = f"The {column} mixes the two orders: it holds {shown(True)}, and {shown(False)}."
        raise InputError(
            msg,
            hint=f"Correct the values so that the whole {kind} has one order; an order cannot be set for part of it.",
        )
    for first in (True, False):
        if example[first] is not None:
            i = example[first]
            why = f"{text.iloc[i]} (row {text.index[i]}) can only be {_reading((dmy if first else mdy).iloc[i])}"
            return DateOrder(column, first, why, dmy if first else mdy)
    differ = (dmy != mdy) & dmy.notna() & mdy.notna()
    if differ.any():
        i = int(np.argmax(differ.to_numpy()))
        msg = (
            f"The {column} holds dates like {text.iloc[i]} that read as {dmy.iloc[i].day} {dmy.iloc[i]:%B} or "
            f"{mdy.iloc[i].day} {mdy.iloc[i]:%B}: nothing in the {kind} decides the order."
        )
        raise InputError(msg, hint=DATE_ORDER_HINT)
    return DateOrder(column, None, "", dmy)


def date_orders(table: pd.DataFrame, mapping: ColumnMapping) -> dict[str, DateOrder]:
    """Decide, column by column, whether the numeric dates (05/02/2014) of the date fields are day or month first.

    Never cell by cell: a value with a first number above 12 makes its column day first, one with a
    second number above 12 month first, and every other value of the column is read in that order.
    The mapping may state the order (``dayfirst``, or a ``date_format`` such as ``%m/%d/%Y``); the
    values must not contradict it. ISO 8601 and dates with month names need no order.

    Parameters
    ----------
    table
        The CSV as text columns; the mapping checked against it (:func:`check_mapping`).

    Returns
    -------
    dict
        Date field -> its :class:`DateOrder`, for the fields whose column (or constant) holds numeric dates.

    Raises
    ------
    InputError
        Naming the column and a value: when the values contradict the order the mapping states, when
        they show both orders, or when nothing states or shows the order and it matters.
    """
    seen: dict[str, tuple[pd.Series, pd.Series, pd.Series] | None] = {}
    orders: dict[str, DateOrder] = {}
    for target in DATE_TARGETS:
        if target in mapping.columns:
            name = mapping.columns[target]
            column, kind = f'column "{name}"', "column"
            if name not in seen:
                seen[name] = _day_month(table[name].astype(str).str.strip())
            found = seen[name]
        elif target in mapping.constants:
            column, kind = f"constant of {target}", "constant"
            found = _day_month(pd.Series([mapping.constants[target].strip()]))
        else:
            continue
        if found is not None:
            orders[target] = _decide(column, kind, found, *_stated_order(mapping, target))
    return orders


def _times(
    text: pd.Series,
    *,
    end: bool,
    day_dates: bool,
    date_format: str | None = None,
    order: DateOrder | None = None,
) -> pd.Series:
    """ISO 8601 UTC text of each time; a value that cannot be read stays as it was, for validation to name.

    The mapping's ``date_format`` is tried first; numeric dates are then read in the column's ``order``
    (:func:`date_orders`), and the rest as ISO 8601, "5 February 2014" or "05-Feb-2014".
    """
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    todo = (text != "").to_numpy(copy=True)
    if date_format is not None and todo.any():
        parsed[todo] = pd.to_datetime(text[todo], format=date_format, errors="coerce", utc=True)
    if order is not None:
        numeric = text.index.isin(order.dates.index)
        parsed = parsed.where(parsed.notna() | ~numeric, order.dates.reindex(text.index))
        todo &= ~numeric
    for fmt in DATE_FORMATS:
        todo &= parsed.isna().to_numpy()
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
    # Infinity and NaN stay text for validation to name: as numbers they would reach the batch as null.
    number = number.where(np.isfinite(number.astype(float)))
    out = number.astype(object)
    if integer:
        whole = number.notna() & (number % 1 == 0)
        out[whole] = number[whole].astype("int64")
    return out.where(number.notna(), text.where(text != "", None))


def _converted(
    target: str, text: pd.Series, mapping: ColumnMapping, order: DateOrder | None = None
) -> pd.Series:
    spec = FIELDS_BY_NAME.get(target)
    kind = "number" if spec is None else spec.kind
    if kind == "datetime":
        fmt = _for_target(mapping.date_format, target)
        return _times(
            text, end=target in END_FIELDS, day_dates=mapping.day_dates, date_format=fmt, order=order
        )
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


def to_features(
    table: pd.DataFrame, mapping: ColumnMapping, *, orders: dict[str, DateOrder] | None = None
) -> tuple[dict[str, Any], list[Issue]]:
    """Turn the rows of a CSV into a GeoJSON FeatureCollection in the incident schema.

    Parameters
    ----------
    table
        The CSV as text columns (:func:`read_csv`).
    mapping
        Checked against the table first (:func:`check_mapping`).
    orders
        The date orders of the table (:func:`date_orders` of the same table, with its index from 0),
        decided here when not given.

    Returns
    -------
    tuple
        The FeatureCollection (one Feature per row, in order) and the mapping's own warnings.
        Unmapped columns are kept in one extra property, ``original`` (column -> text).
    """
    check_mapping(mapping, list(table.columns))
    table = table.reset_index(drop=True)
    orders = date_orders(table, mapping) if orders is None else orders
    if mapping.id_from:
        ids = derived_ids(table, mapping.id_from)
    elif "id" in mapping.columns:
        ids = table[mapping.columns["id"]].astype(object)
    else:
        ids = pd.Series(mapping.constants["id"], index=table.index, dtype=object)
    props: dict[str, pd.Series] = {}
    issues: list[Issue] = []
    for target, column in mapping.columns.items():
        text, said = _mapped_text(target, table[column], mapping, ids)
        issues += said
        props[target] = _converted(target, text, mapping, orders.get(target))
    for target, value in mapping.constants.items():
        if target in DATE_TARGETS:
            # Read once (its order decided on that one value by date_orders), then given to every row.
            one = _converted(target, pd.Series([value.strip()], dtype=object), mapping, orders.get(target))
            props[target] = pd.Series([one.iloc[0]] * len(table), index=table.index, dtype=object)
            continue
        props[target] = _converted(target, pd.Series(value, index=table.index, dtype=object), mapping)
    if mapping.id_from:
        props["id"] = ids
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


def derived_ids(table: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A stable id per row from the values of ``columns`` (``["*"]``: all), for sources without ids.

    ``"row-"`` and the first 16 hex digits of the SHA-256 of the values, each with its column name,
    joined by a unit separator: the same values give the same id in every import.
    """
    names = list(table.columns) if columns == ["*"] else columns
    joined = pd.Series("", index=table.index, dtype=object)
    for name in names:
        joined = joined + name + "=" + table[name].astype(str) + "\x1f"
    return joined.map(lambda text: "row-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]).astype(
        object
    )


# Columns a table read from a geometry source gains: the point's WGS84 longitude and latitude.
GEOMETRY_LON, GEOMETRY_LAT = "geometry_lon", "geometry_lat"


def _text_cell(value: Any) -> str:
    """A property value as the text a CSV cell would hold (None empty, lists and objects as JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def read_table(
    data: bytes, *, filename: str, encoding: str | None = None, settings: Settings | None = None
) -> tuple[pd.DataFrame, str]:
    """Any tabular source as text columns, and its kind: a CSV, or the attributes of a geometry source.

    GeoJSON, a zipped shapefile, a GeoPackage, KML, FlatGeobuf or GeoParquet give their features'
    properties as columns, plus :data:`GEOMETRY_LON` and :data:`GEOMETRY_LAT` for Point geometries
    (reprojected to WGS84 when the file names another CRS; empty for other geometries), so a
    mapping can read a UCDP GED GeoJSON as it reads the CSV.

    Raises
    ------
    InputError
        As :func:`read_csv`, or when the file cannot be read (:func:`geo.ingest.formats.parse`).
    """
    from geo.ingest.batch import to_wgs84
    from geo.ingest.formats import parse_upload
    from geo.ingest.geojson import WGS84_NAMES

    if is_table(filename):
        return read_csv(data, filename=filename, encoding=encoding), "csv"
    settings = settings or load_settings()
    parsed = parse_upload(data, filename, settings)
    rows, lon, lat = [], [], []
    for feature in parsed.features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        rows.append({str(k): _text_cell(v) for k, v in props.items()} if isinstance(props, dict) else {})
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coords = (
            geometry.get("coordinates")
            if isinstance(geometry, dict) and geometry.get("type") == "Point"
            else None
        )
        ok = (
            isinstance(coords, list)
            and len(coords) >= 2
            and all(isinstance(c, (int, float)) for c in coords[:2])
        )
        lon.append(float(coords[0]) if ok else np.nan)
        lat.append(float(coords[1]) if ok else np.nan)
    if not rows:
        raise InputError(f"{filename} has no features.", hint="Upload a file with one feature per event.")
    table = pd.DataFrame(rows, dtype=object).fillna("").astype(str)
    x, y = np.asarray(lon), np.asarray(lat)
    if parsed.source_crs and parsed.source_crs not in WGS84_NAMES and np.isfinite(x).any():
        x, y = to_wgs84(x, y, parsed.source_crs, filename=filename)
    table[GEOMETRY_LON] = [repr(round(float(v), 7)) if np.isfinite(v) else "" for v in x]
    table[GEOMETRY_LAT] = [repr(round(float(v), 7)) if np.isfinite(v) else "" for v in y]
    return table, parsed.format


def read_mapped(
    data: bytes,
    *,
    filename: str,
    mapping: ColumnMapping,
    settings: Settings | None = None,
    table: tuple[pd.DataFrame, str] | None = None,
) -> IngestResult:
    """Read a tabular source (a CSV, or the attributes of GeoJSON, a shapefile, a GeoPackage ...)
    through a column mapping and validate it like any batch.

    The rows become GeoJSON Features (:func:`to_features`) that :func:`geo.ingest.read_batch`
    validates; the result carries the file's own SHA-256 and name, so the store keeps it as the
    original file, and its notes record the mapping used (and the encoding and date order where
    they mattered). Feature numbers are the file's rows, counted from 0.

    Raises
    ------
    InputError
        When the file cannot be read, is too large, or the mapping does not fit it (a date column
        whose day-month order is not decided included: :func:`date_orders`).
    """
    settings = settings or load_settings()
    if len(data) > settings.max_upload_bytes:
        msg = f"{filename} is {len(data) / 1e6:.1f} MB, above the {settings.max_upload_mb:g} MB upload limit."
        raise InputError(msg, hint="Split the export by period, or raise max_upload_mb in ceasefire.toml.")
    # ``table``: what read_table already gave for ``data`` in the mapping's encoding (the Upload page reads
    # it once for its editors), so that a large file is not parsed again on every edit.
    table, kind = table or read_table(data, filename=filename, encoding=mapping.encoding, settings=settings)
    mapping, left_out = fitted(mapping, list(table.columns))
    check_mapping(mapping, list(table.columns))
    orders = date_orders(table, mapping)
    collection, issues = to_features(table, mapping, orders=orders)
    geojson = orjson.dumps(collection, option=orjson.OPT_SERIALIZE_NUMPY)
    result = read_batch(geojson, filename=filename, settings=settings)
    compact = json.dumps(dataclasses.asdict(mapping), ensure_ascii=False, separators=(",", ":"))
    read_as = "CSV" if kind == "csv" else f"a table of the attributes of {kind}"
    notes = [
        f"Read as {read_as} through the {mapping.name!r} column mapping (kept with the batch): {compact}"
    ]
    if kind == "csv" and mapping.encoding:
        notes.append(f"The text was read as {mapping.encoding} (the mapping's encoding).")
    notes += left_out
    return dataclasses.replace(
        result,
        issues=[*result.issues, *issues],
        notes=[*result.notes, *notes, *dict.fromkeys(o.note for o in orders.values() if o.note)],
        sha256=hashlib.sha256(data).hexdigest(),
        format=f"{kind} ({mapping.name} mapping)",
    )


# The name the Upload page and earlier callers know.
read_mapped_csv = read_mapped


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
    name: str,
    fields: pd.DataFrame,
    values: pd.DataFrame,
    *,
    day_dates: bool,
    dayfirst: bool | dict[str, bool] | None = None,
    date_format: str | dict[str, str] | None = None,
) -> ColumnMapping:
    """Build the mapping back from the two tables of :func:`mapping_tables` (as the user edited them).

    Rows with neither a column nor a constant, and value rows without a value, are left out;
    ``dayfirst`` and ``date_format`` are passed on (:class:`ColumnMapping`).
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
    return ColumnMapping(
        name=name,
        columns=columns,
        constants=constants,
        values=maps,
        day_dates=day_dates,
        dayfirst=dayfirst,
        date_format=date_format,
    )


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
    return read_mapped(data, filename=filename, mapping=chosen, settings=settings)
