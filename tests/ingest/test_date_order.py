"""Numeric dates in a mapped CSV (05/02/2014): the day-month order is decided per column, never per cell.

A column is day first when a value's first number is above 12, month first when a value's second is;
one showing both, or neither while the order matters, is refused unless the mapping states the order.
"""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.ingest.mapping import (
    UCDP,
    ColumnMapping,
    guess_preset,
    load_mapping,
    read_mapped_csv,
    read_upload,
)

# One date column, read as a moment (no day_dates): what the column holds is what is stored.
MAPPING = ColumnMapping(
    name="dates",
    columns={"id": "id", "occurred_at": "when", "longitude": "lon", "latitude": "lat"},
    constants={"source": "desk", "type": "impact"},
)


def csv_of(values: list[str]) -> bytes:
    """A CSV with one report per value of the `when` column (ids r0, r1, ...)."""
    rows = "".join(f"r{i},{v},37.6,48.1\n" for i, v in enumerate(values))
    return f"id,when,lon,lat\n{rows}".encode()


def read(values: list[str], mapping: ColumnMapping = MAPPING, settings=None):
    return read_mapped_csv(csv_of(values), filename="dates.csv", mapping=mapping, settings=settings)


def times(result) -> list[pd.Timestamp]:
    """occurred_at of the accepted reports, in the CSV's order."""
    accepted = result.accepted.assign(row=result.accepted["id"].str[1:].astype(int)).sort_values("row")
    return list(accepted["occurred_at"])


def some_days(n: int, seed: int) -> pd.DatetimeIndex:
    """``n`` random days of 2014-2021 (UTC): most have a day of 12 or less, so read alone they are ambiguous."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2014-01-01", tz="UTC")
    return pd.DatetimeIndex(start + pd.to_timedelta(np.sort(rng.integers(0, 8 * 365, n)), unit="D"))


def ambiguous(days: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((days.day <= 12) & (days.day != days.month))


@pytest.mark.parametrize(
    ("fmt", "first"),
    [("%m/%d/%Y", "month"), ("%d/%m/%Y", "day"), ("%d.%m.%Y %H:%M", "day"), ("%m-%d-%Y %H:%M:%S", "month")],
)
def test_a_column_is_read_in_the_order_its_unambiguous_values_show(fmt, first, settings):
    days = some_days(60, seed=len(fmt)) + pd.Timedelta(hours=13, minutes=5)
    if "%H" not in fmt:
        days = days.normalize()
    assert ambiguous(days).sum() > 10 and (~ambiguous(days)).sum() > 10
    result = read([f"{d:{fmt}}" for d in days], settings=settings)
    assert result.ok and len(result.accepted) == len(days)
    # Every row, the ambiguous ones too, is read in the order the column shows.
    assert times(result) == list(days)
    assert any(f"read {first} first" in n for n in result.notes)


def test_a_column_where_nothing_decides_the_order_is_refused(settings):
    with pytest.raises(InputError) as caught:
        read(["05/02/2014", "03/04/2015", "2014-06-01T10:00:00Z"], settings=settings)
    error = caught.value
    assert 'The column "when" holds dates like 05/02/2014' in error.message
    assert "5 February or 2 May" in error.message
    assert '"dayfirst": true or false' in error.hint and '"date_format"' in error.hint


def test_dates_with_the_same_day_and_month_need_no_order(settings):
    result = read(["05/05/2014", "12/12/2015 08:00"], settings=settings)
    assert times(result) == [pd.Timestamp("2014-05-05", tz="UTC"), pd.Timestamp("2015-12-12 08:00", tz="UTC")]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"dayfirst": True}, ["2014-02-05", "2015-04-03"]),
        ({"dayfirst": False}, ["2014-05-02", "2015-03-04"]),
        ({"dayfirst": {"occurred_at": False}}, ["2014-05-02", "2015-03-04"]),
        ({"date_format": "%d/%m/%Y"}, ["2014-02-05", "2015-04-03"]),
        ({"date_format": {"occurred_at": "%m/%d/%Y"}}, ["2014-05-02", "2015-03-04"]),
    ],
)
def test_the_mapping_states_the_order_of_an_ambiguous_column(setting, expected, tmp_path, settings):
    # Through the JSON file, as `--mapping FILE.json` reads it: the setting survives the round trip.
    path = tmp_path / "m.json"
    path.write_text(dataclasses.replace(MAPPING, **setting).to_json(), encoding="utf-8")
    mapping = load_mapping(str(path))
    assert mapping == dataclasses.replace(MAPPING, **setting)
    result = read(["05/02/2014", "03/04/2015"], mapping, settings=settings)
    assert times(result) == [pd.Timestamp(e, tz="UTC") for e in expected]
    assert any("as the mapping says" in n for n in result.notes)


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ({"dayfirst": True}, "01/22/2014", '"dayfirst": true'),
        ({"dayfirst": False}, "22/01/2014", '"dayfirst": false'),
        ({"date_format": "%m/%d/%Y"}, "22/01/2014", '"date_format": "%m/%d/%Y"'),
    ],
)
def test_a_stated_order_the_values_contradict_is_refused(setting, value, said, settings):
    with pytest.raises(InputError) as caught:
        read(["05/02/2014", value], dataclasses.replace(MAPPING, **setting), settings=settings)
    assert value in caught.value.message and said in caught.value.message
    assert 'column "when"' in caught.value.message


def test_a_column_showing_both_orders_is_refused_naming_one_of_each(settings):
    with pytest.raises(InputError) as caught:
        read(["05/02/2014", "22/01/2014", "01/23/2014", "30/01/2014"], settings=settings)
    message = caught.value.message
    assert 'column "when" mixes the two orders' in message
    assert "22/01/2014" in message and "can only be day first" in message
    assert "01/23/2014" in message and "only be month first" in message


def test_twelve_hour_times_as_excel_writes_them(settings):
    values = [
        "1/22/2014 12:00:00 AM",
        "1/22/2014 1:30:00 PM",
        "1/22/2014 12:00:00 PM",
        "1/22/2014 11:59:59 pm",
    ]
    result = read(values, settings=settings)
    assert result.ok
    assert times(result) == [
        pd.Timestamp("2014-01-22T00:00:00Z"),
        pd.Timestamp("2014-01-22T13:30:00Z"),
        pd.Timestamp("2014-01-22T12:00:00Z"),
        pd.Timestamp("2014-01-22T23:59:59Z"),
    ]


def test_a_value_that_is_no_date_in_the_order_is_rejected_by_row(settings):
    # 13/13/2014 and 1 PM written as 13 PM are no dates either way: their rows are rejected, named.
    result = read(["01/22/2014", "13/13/2014", "1/22/2014 13:00:00 PM", "02/03/2014"], settings=settings)
    assert {r.feature_id for r in result.rejected} == {"r1", "r2"}
    assert times(result) == [pd.Timestamp("2014-01-22", tz="UTC"), pd.Timestamp("2014-02-03", tz="UTC")]


def test_iso_and_named_months_need_no_order_and_mix_with_numeric_dates(settings):
    named = ["2014-05-02T10:00:00Z", "5 February 2014", "05-Feb-2014", "2014-05-02"]
    result = read(named, settings=settings)
    assert result.ok and not any("numeric dates" in n for n in result.notes)
    assert times(result) == [
        pd.Timestamp("2014-05-02T10:00:00Z"),
        pd.Timestamp("2014-02-05", tz="UTC"),
        pd.Timestamp("2014-02-05", tz="UTC"),
        pd.Timestamp("2014-05-02", tz="UTC"),
    ]
    # With slash dates among them, the slash dates decide their own order; the others are unchanged.
    mixed = read([*named, "05/02/2014", "02/13/2014"], settings=settings)
    assert times(mixed)[:4] == times(result)
    assert times(mixed)[4:] == [pd.Timestamp("2014-05-02", tz="UTC"), pd.Timestamp("2014-02-13", tz="UTC")]


def test_a_date_setting_of_the_wrong_kind_is_refused(tmp_path):
    path = tmp_path / "m.json"
    doc = json.loads(MAPPING.to_json())
    path.write_text(json.dumps(doc | {"dayfirst": "yes"}), encoding="utf-8")
    with pytest.raises(InputError, match="'dayfirst' must be true or false"):
        load_mapping(str(path))
    for bad, message in [
        ({"dayfirst": {"type": True}}, "not a date field"),
        ({"date_format": "dd/mm/yyyy"}, "not a strptime format"),
        ({"dayfirst": True, "date_format": "%m/%d/%Y"}, "reads the month first"),
    ]:
        with pytest.raises(InputError, match=message):
            read(["05/02/2014"], dataclasses.replace(MAPPING, **bad))


# The real UCDP GED file is ISO 8601; Excel re-saves it month first, and some tools day first.
EXCEL = "{d.month}/{d.day}/{d.year} 12:00:00 AM"
KNOWN = ("153027", pd.Timestamp("2014-05-02", tz="UTC"))  # Slavyansk town, 2 May 2014: "5/2/2014" in Excel


@pytest.fixture(scope="module")
def ucdp_table(shared_data) -> pd.DataFrame:
    return pd.read_csv(
        shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv", dtype=str, keep_default_na=False
    )


def resaved(table: pd.DataFrame, pattern: str) -> bytes:
    """The UCDP table with date_start and date_end rewritten in ``pattern`` (a str.format of ``d``)."""
    out = table.copy()
    for column in ("date_start", "date_end"):
        out[column] = [pattern.format(d=d) for d in pd.to_datetime(table[column])]
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@pytest.mark.parametrize("pattern", [EXCEL, "{d:%d/%m/%Y}"])
def test_ucdp_ged_resaved_with_numeric_dates_imports_through_the_preset(ucdp_table, pattern, settings):
    data = resaved(ucdp_table, pattern)
    assert guess_preset(list(pd.read_csv(io.BytesIO(data), nrows=1).columns)) == "ucdp"
    result = read_upload(data, filename="ucdp-excel.csv", mapping="ucdp", settings=settings)
    iso = read_mapped_csv(
        resaved(ucdp_table, "{d:%Y-%m-%d}"), filename="ucdp.csv", mapping=UCDP, settings=settings
    )
    assert len(result.accepted) == len(iso.accepted) > 3000
    got = result.accepted.set_index("id")
    want = iso.accepted.set_index("id").loc[got.index]
    assert (got["occurred_from"] == want["occurred_from"]).all()
    assert (got["occurred_to"] == want["occurred_to"]).all()
    assert got.loc[KNOWN[0], "occurred_from"] == KNOWN[1]
    assert got.loc[KNOWN[0], "occurred_to"] == KNOWN[1] + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def test_a_ucdp_slice_where_every_date_is_ambiguous_is_refused_naming_what_to_set(ucdp_table, settings):
    days = pd.to_datetime(ucdp_table["date_start"])
    ends = pd.to_datetime(ucdp_table["date_end"])
    both = ambiguous(pd.DatetimeIndex(days)) & (ambiguous(pd.DatetimeIndex(ends)) | (ends == days).to_numpy())
    part = ucdp_table[both]
    assert KNOWN[0] in set(part["id"])
    with pytest.raises(InputError) as caught:
        read_upload(resaved(part, EXCEL), filename="ucdp-excel.csv", mapping="ucdp", settings=settings)
    assert 'The column "date_start"' in caught.value.message
    assert "nothing in the column decides the order" in caught.value.message
    assert '"dayfirst"' in caught.value.hint
    # Stated month first, as Excel wrote it, the slice imports and the known row is 2 May.
    stated = dataclasses.replace(UCDP, dayfirst=False)
    result = read_mapped_csv(resaved(part, EXCEL), filename="u.csv", mapping=stated, settings=settings)
    assert result.accepted.set_index("id").loc[KNOWN[0], "occurred_from"] == KNOWN[1]
