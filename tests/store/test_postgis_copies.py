"""A server's local copies of a PostGIS store are never read for what the database no longer holds:
a store restored from a backup (same store id) that then takes other batches under the same ids."""

from __future__ import annotations

import psycopg
import pytest

from geo.store.postgis import PostGISStore


def _copy_of(url: str) -> str:
    """A new database made from ``url``'s as it is now (what a restore of a backup taken now gives)."""
    name = f"{url.rsplit('/', 1)[1]}_restored"
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"create database {name} template {url.rsplit('/', 1)[1]}")
    return url.rsplit("/", 1)[0] + f"/{name}"


@pytest.mark.parametrize("read", ["whole", "filtered"])
def test_a_restored_store_that_takes_other_batches_under_the_same_ids_is_read_as_it_is(
    postgis_url, tmp_path, kit, read
):
    server = tmp_path / "server"  # one app server's work folder, before and after the restore
    before = PostGISStore(postgis_url, work_dir=server)
    kit.put(before, [kit.report(i) for i in range(3)])
    backup = _copy_of(postgis_url)  # the backup: one batch
    later = kit.put(
        before, [kit.report(i, description="до відновлення") for i in range(10, 14)], filename="lost.geojson"
    )
    assert len(before.incidents()) == 7  # this server now has a copy of the batch the restore loses

    restored = PostGISStore(backup, work_dir=server)
    assert restored.store_id == before.store_id and restored.path == before.path
    # Another app server takes a new batch, which gets the id of the batch the restore lost.
    elsewhere = PostGISStore(backup, work_dir=tmp_path / "another server")
    other = kit.put(
        elsewhere, [kit.report(i, description="після") for i in range(20, 22)], filename="new.geojson"
    )
    assert other.batch_id == later.batch_id

    kwargs = {} if read == "whole" else {"start": "2026-01-01"}
    frame = restored.incidents(**kwargs)
    assert sorted(frame["id"]) == ["r0", "r1", "r2", "r20", "r21"]
    assert set(frame.loc[frame["batch_id"] == other.batch_id, "description"]) == {"після"}


def _square(lon: float, lat: float, half: float = 0.02) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_a_restored_store_s_edit_under_a_name_a_server_copied_before_is_read_as_stored(postgis_url, tmp_path):
    import shapely

    from geo.context import scenario_edits
    from geo.settings import load_settings

    def edits(url: str, server: str):
        settings = load_settings(environ={"CM_STORE_PATH": str(tmp_path / server / "store.gpkg")})
        return scenario_edits(settings, store_path=url)

    edits(postgis_url, "a").save_zone(
        _square(37.6, 48.1), zone_id="PS-91", kind="protected_site", name="School"
    )
    backup = _copy_of(postgis_url)
    server_a = edits(postgis_url, "a")
    server_a.save_zone(_square(37.7, 48.2), zone_id="PS-92", kind="protected_site", name="Clinic")
    assert "PS-92" in server_a.zone_ids()  # server a holds a copy of the edit the restore loses

    # After the restore another server saves another PS-92, the same edit number and file name.
    edits(backup, "b").save_zone(_square(38.0, 48.5), zone_id="PS-92", kind="protected_site", name="Well")
    restored_a = edits(backup, "a")
    zones = restored_a.scenario().zones.set_index("zone_id")
    assert zones.loc["PS-92", "name"] == "Well"
    assert shapely.equals(zones.loc["PS-92"].geometry, shapely.geometry.shape(_square(38.0, 48.5)))
