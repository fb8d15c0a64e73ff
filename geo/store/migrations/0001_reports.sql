-- The reports, their batches and the original files of a PostGIS store (issue 14):
-- the layout of the GeoPackage store (geo/store/sql.py) in PostgreSQL, with the database keeping
-- what the GeoPackage store keeps in Python: one live batch per file, one report per uid and per
-- (source, id), a Point in EPSG:4326 per report, a file (an original, a batch's rejected features)
-- whose content is its name.
-- Applied by `python -m geo migrate` (geo/store/migrate.py), in one transaction; never edited once
-- applied anywhere: a change is the next numbered file.

create extension if not exists postgis;

-- The store's identity and its revision (moved by every write, ours or another's: below).
create table meta (
  key text primary key,
  value text not null
);
insert into meta (key, value)
values ('store_id', substr(replace(gen_random_uuid()::text, '-', ''), 1, 16)), ('revision', '0');

-- Each uploaded file, stored once by the SHA-256 of its content.
create table files (
  sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  content bytea not null,
  check (encode(sha256(content), 'hex') = sha256)
);

create table batches (
  seq bigint generated always as identity primary key,  -- the order batches landed in
  batch_id text not null unique,
  filename text not null,
  sha256 text not null references files (sha256),
  format text,
  uploaded_at timestamptz not null,
  uploader text,
  n_features integer check (n_features >= 0),
  accepted integer check (accepted >= 0),
  rejected integer check (rejected >= 0),
  duplicates integer check (duplicates >= 0),
  retracted_at timestamptz,
  notes text,
  edits integer not null default 0,  -- changes made to its reports outside this program
  -- The rejected features with their issues, one compressed JSON file per batch as the GeoPackage
  -- store keeps them (134,000 rejected FIRMS rows as rows grew a store by 188 MB), or none.
  rejected_sha256 text references files (sha256)
);
-- The same file uploaded twice, even at once by two servers, lands once.
create unique index batches_one_live_per_file on batches (sha256) where retracted_at is null;

-- The report columns of geo.store.columns.REPORT_COLUMNS (tests/store/test_migrate.py checks they
-- are the same), then the point.
create table reports (
  id text not null,
  source text not null,
  occurred_at timestamptz,
  occurred_from timestamptz,
  occurred_to timestamptz,
  time_precision text,
  type text not null,
  count integer,
  weapon text,
  means text,
  source_type text,
  source_family text,
  cites text,
  reliability text,
  credibility integer,
  location_precision_m double precision,
  observer_lon double precision,
  observer_lat double precision,
  bearing_deg double precision,
  bearing_min_deg double precision,
  bearing_max_deg double precision,
  distance_min_m double precision,
  distance_max_m double precision,
  casualties_low integer,
  casualties_best integer,
  casualties_high integer,
  description text,
  assessment text,
  extra text,
  uid text primary key,
  batch_id text not null references batches (batch_id),
  geom geometry(Point, 4326) not null,
  unique (source, id)
);
create index reports_geom on reports using gist (geom);
create index reports_time on reports (occurred_at);
create index reports_batch on reports (batch_id);

-- A change to the reports made outside this program (psql, QGIS) moves the revision and counts
-- as an edit of each batch it touched, so that no analysis of the batch as it was is trusted.
-- This program's writes say so (set_config('cm.writing', 'on', true), for their transaction) and
-- move the revision once per write themselves.
create function reports_edited() returns trigger language plpgsql as $$
begin
  if coalesce(current_setting('cm.writing', true), '') = 'on' then
    return null;
  end if;
  if tg_op = 'INSERT' then
    update batches set edits = edits + 1 where batch_id in (select batch_id from added);
  elsif tg_op = 'DELETE' then
    update batches set edits = edits + 1 where batch_id in (select batch_id from removed);
  else
    update batches set edits = edits + 1
    where batch_id in (select batch_id from added union select batch_id from removed);
  end if;
  update meta set value = (value::bigint + 1)::text where key = 'revision';
  return null;
end
$$;
create trigger reports_inserted after insert on reports
  referencing new table as added for each statement execute function reports_edited();
create trigger reports_updated after update on reports
  referencing old table as removed new table as added for each statement execute function reports_edited();
create trigger reports_deleted after delete on reports
  referencing old table as removed for each statement execute function reports_edited();
