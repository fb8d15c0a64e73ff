"""The Upload page's mapping step: a table (a CSV, or a GIS file's attributes) read through a column mapping."""

import dataclasses

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from geo.ingest import IngestResult
from geo.ingest.mapping import (
    PRESETS,
    TARGETS,
    is_table,
    mapping_from_tables,
    mapping_tables,
    suggest_mapping,
)
from ui import data, keys

# Encodings a desk meets in CSV exports; None is UTF-8 (with or without a byte-order mark).
ENCODINGS = {"UTF-8": None, "Windows-1252 (Western Europe)": "cp1252", "Windows-1251 (Cyrillic)": "cp1251",
             "Latin-1 (ISO 8859-1)": "latin-1"}  # fmt: skip
FOREIGN_SCHEMA = "not this tool's incident schema"


def csv_mapping(upload: UploadedFile) -> IngestResult:
    """The mapping step of a table (a CSV, or a GIS file's attributes): a preset, then its columns and
    value maps, which the user can edit."""
    encoding = None
    if is_table(upload.name):
        label = st.selectbox(
            "Text encoding", list(ENCODINGS), key=keys.UPLOAD_CSV_ENCODING,
            help="UTF-8 unless the file says otherwise: a CSV saved by Excel on Windows is often Windows-1252. "
            "Nothing is guessed; a file that is not in the encoding chosen is refused, naming the byte.",
        )  # fmt: skip
        encoding = ENCODINGS[label]
    table = data.csv_table(upload, encoding)
    st.subheader("Column mapping")
    suggested = suggest_mapping(list(table.columns))
    names = [*PRESETS, "custom"]
    preset = st.selectbox(
        "Mapping", names, index=names.index(suggested.name), key=keys.UPLOAD_CSV_PRESET,
        help="ACLED and UCDP GED exports have presets; 'custom' starts from the columns named like the schema.",
    )  # fmt: skip
    base = PRESETS.get(preset) or suggest_mapping(list(table.columns), presets=False)
    fields, values = mapping_tables(base, table)
    st.caption(
        f"{len(table):,} rows, {len(table.columns)} columns. Each field is read from a column or given a "
        "constant; the columns left out are kept with each report (under `original`)."
    )
    fields = st.data_editor(
        fields, key=f"{keys.UPLOAD_CSV_FIELDS}-{preset}", hide_index=True, width="stretch",
        disabled=["field", "description"],
        column_config={"column": st.column_config.SelectboxColumn("CSV column", options=list(table.columns))},
    )  # fmt: skip
    st.caption("Value maps: a coded column's values and the schema value each becomes (empty: not mapped).")
    values = st.data_editor(
        values, key=f"{keys.UPLOAD_CSV_VALUES}-{preset}", hide_index=True, width="stretch", num_rows="dynamic",
        column_config={"field": st.column_config.SelectboxColumn("field", options=list(TARGETS))},
    )  # fmt: skip
    day_dates = st.checkbox(
        "Dates are days (an end date is the end of that day)", value=base.day_dates,
        key=f"{keys.UPLOAD_CSV_DAY_DATES}-{preset}",
    )  # fmt: skip
    # Numeric dates (05/02/2014): the columns decide where a value shows the order, and a column where
    # none does is refused with a message naming it; this choice settles it (docs/IMPORT.md).
    orders = {
        "Decide from the values": None,
        "Day first (31/01/2026)": True,
        "Month first (01/31/2026)": False,
    }
    stated = base.dayfirst if isinstance(base.dayfirst, bool) else None
    order = st.radio(
        "Numeric dates", list(orders), horizontal=True, key=f"{keys.UPLOAD_CSV_DATE_ORDER}-{preset}",
        index=list(orders.values()).index(stated),
        help="A value like 05/02/2014 reads as 5 February or 2 May. A column with a number above 12 in either "
        "place decides; a column where none does is refused until you choose here.",
    )  # fmt: skip
    mapping = mapping_from_tables(preset, fields, values, day_dates=day_dates, dayfirst=orders[order])
    mapping = dataclasses.replace(mapping, encoding=encoding, optional=base.optional, id_from=base.id_from)
    st.download_button(
        "Save this mapping (JSON, for `python -m geo ingest --mapping`)", mapping.to_json(),
        file_name=f"{preset}-mapping.json", mime="application/json", key=keys.UPLOAD_CSV_SAVE, on_click="ignore",
    )  # fmt: skip
    return data.validated_csv(upload, mapping)


def is_foreign(result: IngestResult) -> bool:
    """Whether a file read as it is turned out to hold another dataset's schema (UCDP GED, ACLED)."""
    return any(FOREIGN_SCHEMA in i.problem for i in result.errors if i.index is None)
