-- What every app server on one PostGIS store must share besides the reports (issue 14): the order the
-- reports landed in, the stored analysis, and the users' edits of the scenario.

-- The order reports were stored in, as the GeoPackage store's fid keeps it: a batch read back from
-- the database comes in the order it was written.
alter table reports add column fid bigint generated always as identity;
create index reports_batch_order on reports (batch_id, fid);

-- The stored analysis (geo.store.derived): Arrow IPC partitions named by table, month and a token
-- (never rewritten: a new analysis writes new ones) and one manifest per analysis key listing them.
create table analysis_parts (
  name text primary key,
  content bytea not null
);
create table analysis_manifests (
  key text primary key,
  manifest jsonb not null,
  made_at timestamptz not null default clock_timestamp()
);

-- The users' contact line versions and zones (geo.scenario.edits): one immutable GeoJSON document
-- per edit, numbered in the order they were made; a line version's uploaded file is kept in files.
create table scenario_edits (
  seq integer primary key check (seq > 0),
  name text not null unique,
  document text not null,
  made_at timestamptz not null default clock_timestamp()
);
