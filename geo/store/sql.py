"""The GeoPackage layout of the store: tables, indexes, triggers and the geometry blob encoding."""

from __future__ import annotations

import struct

import numpy as np
import shapely

from geo.store import columns as cols

# GeoPackage geometry blob header: magic 'GP', version 0, flags 0x01 (little-endian, no envelope,
# not empty), srs_id 4326. The header is the same for every point, so it is prepended in bulk.
GP_HEADER = b"GP\x00\x01" + struct.pack("<i", 4326)
APPLICATION_ID = 0x47504B47  # 'GPKG'
USER_VERSION = 10400  # GeoPackage 1.4
# The layout of our own tables; a store written with another layout is refused, not guessed at.
SCHEMA_VERSION = "4"
# Layouts this version upgrades in place, with the report columns (nullable text) each lacked.
# Layout 2 lacked source_family, cites and assessment (docs/SCHEMA.md); layout 3 (and 2) lacked the
# record of retraction (:data:`RETRACTION_COLUMNS`, :data:`RETRACTION_DDL`), added to both.
UPGRADES: dict[str, tuple[str, ...]] = {"2": ("source_family", "cites", "assessment"), "3": ()}
# Who hid a batch and why, and who brought it back and why (the latest of each; the audit log keeps
# every one). Added to layout 3's batches by the upgrade.
RETRACTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("retracted_by", "TEXT"),
    ("retract_reason", "TEXT"),
    ("restored_at", "DATETIME"),
    ("restored_by", "TEXT"),
    ("restore_reason", "TEXT"),
)
# The reports a batch carried that were already stored (its duplicates of other batches' reports):
# each stays stored once, under the batch that brought it first, and is shown while that batch or
# any batch that carried it is active. ``stored_in`` is the batch that held it at ingest.
RETRACTION_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS batch_carried (
      batch_id TEXT NOT NULL, uid TEXT NOT NULL, stored_in TEXT NOT NULL, PRIMARY KEY (batch_id, uid))""",
    "CREATE INDEX IF NOT EXISTS batch_carried_uid ON batch_carried (uid)",
)

_REPORT_DDL = ", ".join(f'"{c}" {cols.sql_type(c)}' for c in cols.REPORT_COLUMNS)

# Edits made outside this program (QGIS, ogr2ogr, sqlite3) fire these triggers: the revision moves
# and the batch's edit count tells the columnar copy it is stale. Our own writes set the 'writing'
# row in meta inside their transaction, so a batch of 100k rows is one revision, not 100k.
_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS incidents_edited_{event} AFTER {event} ON incidents
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'writing')
BEGIN
  UPDATE batches SET edits = edits + 1 WHERE batch_id IN ({rows});
  UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision';
END
"""

SCHEMA: tuple[str, ...] = (
    """CREATE TABLE gpkg_spatial_ref_sys (
      srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
      organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE gpkg_contents (
      table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
      description TEXT DEFAULT '',
      last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
      min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
      CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE gpkg_geometry_columns (
      table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
      srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
      CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
      CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
      CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    f"""CREATE TABLE incidents (
      fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, lon REAL NOT NULL, lat REAL NOT NULL,
      {_REPORT_DDL}, UNIQUE (uid), UNIQUE (source, id))""",
    "CREATE INDEX incidents_time ON incidents (occurred_at)",
    "CREATE INDEX incidents_lonlat ON incidents (lon, lat)",
    "CREATE INDEX incidents_batch ON incidents (batch_id)",
    # GeoPackage attribute tables need an INTEGER PRIMARY KEY AUTOINCREMENT; the readable id is unique.
    """CREATE TABLE batches (
      fid INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL UNIQUE, filename TEXT NOT NULL,
      sha256 TEXT NOT NULL, format TEXT, uploaded_at DATETIME NOT NULL, uploader TEXT,
      n_features INTEGER, accepted INTEGER, rejected INTEGER, duplicates INTEGER,
      retracted_at DATETIME, notes TEXT, edits INTEGER NOT NULL DEFAULT 0,
      retracted_by TEXT, retract_reason TEXT, restored_at DATETIME, restored_by TEXT, restore_reason TEXT)""",
    "CREATE INDEX batches_sha256 ON batches (sha256)",
    """CREATE TABLE quarantine (
      fid INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL, feature_index INTEGER,
      feature_id TEXT, feature TEXT, issues TEXT)""",
    "CREATE INDEX quarantine_batch ON quarantine (batch_id)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    *RETRACTION_DDL,
    _TRIGGER.format(event="INSERT", rows="NEW.batch_id"),
    _TRIGGER.format(event="UPDATE", rows="OLD.batch_id, NEW.batch_id"),
    _TRIGGER.format(event="DELETE", rows="OLD.batch_id"),
)

SRS_ROWS = (
    (
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system",
    ),
    (
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system",
    ),
    (
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
        'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],'
        'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],'
        'AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
    ),
)

CONTENTS = (
    ("incidents", "features", "incidents", "Incident reports (one row per report)", 4326),
    ("batches", "attributes", "batches", "Uploaded batches and their provenance", None),
    ("quarantine", "attributes", "quarantine", "Rejected features with their issues", None),
)


def geometry_blobs(points: np.ndarray) -> list[bytes]:
    """Return GeoPackage geometry blobs (GP header + little-endian WKB) for 2-D points.

    Parameters
    ----------
    points
        Shapely Points, none empty.
    """
    wkb = shapely.to_wkb(points, byte_order=1, output_dimension=2)
    n = len(wkb)
    width = 21  # byte order (1) + type (4) + x and y (16): every 2-D point's WKB
    if n == 0:
        return []
    joined = b"".join(wkb)
    if len(joined) != n * width:
        # Not all plain points: prepend the header one blob at a time (rare; never on ingest's frames).
        return [GP_HEADER + w for w in wkb]
    table = np.empty((n, len(GP_HEADER) + width), dtype=np.uint8)
    table[:, : len(GP_HEADER)] = np.frombuffer(GP_HEADER, dtype=np.uint8)
    table[:, len(GP_HEADER) :] = np.frombuffer(joined, dtype=np.uint8).reshape(n, width)
    # A void view keeps every byte (an 'S' view would drop trailing zero bytes, e.g. of lat 0.0).
    return table.view(f"V{table.shape[1]}").ravel().tolist()
