"""Settings come from defaults, a TOML file and CM_* variables, with clear errors for bad values."""

from __future__ import annotations

import pytest

from geo.errors import InputError
from geo.settings import PROJECT_ROOT, load_settings


def test_defaults_without_config(tmp_path):
    s = load_settings(tmp_path / "absent.toml", environ={})
    assert s.store_path == PROJECT_ROOT / "var" / "store.gpkg"
    assert s.tile_url == ""
    assert s.max_upload_bytes == 200 * 1024 * 1024


def test_file_then_environment_override(tmp_path):
    cfg = tmp_path / "ceasefire.toml"
    cfg.write_text(
        'tile_url = "http://tiles.local/{z}/{x}/{y}.png"\nmax_upload_mb = 5\nstore_path = "x/s.gpkg"\n'
    )
    s = load_settings(cfg, environ={"CM_MAX_UPLOAD_MB": "1.5", "CM_THEATRE_BBOX": "30,44,41,53"})
    assert s.tile_url.startswith("http://tiles.local")
    assert s.max_upload_mb == 1.5
    assert s.store_path == PROJECT_ROOT / "x" / "s.gpkg"
    assert s.theatre_bbox == (30.0, 44.0, 41.0, 53.0)


def test_bad_value_names_the_setting(tmp_path):
    with pytest.raises(InputError, match=r"max_upload_mb.*'lots'"):
        load_settings(tmp_path / "absent.toml", environ={"CM_MAX_UPLOAD_MB": "lots"})
    with pytest.raises(InputError, match="theatre_bbox"):
        load_settings(tmp_path / "absent.toml", environ={"CM_THEATRE_BBOX": "1,2,3"})


def test_unknown_key_and_bad_toml(tmp_path):
    cfg = tmp_path / "ceasefire.toml"
    cfg.write_text("tile_ulr = 'x'\n")
    with pytest.raises(InputError, match="tile_ulr"):
        load_settings(cfg, environ={})
    cfg.write_text("tile_url = \n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_settings(cfg, environ={})
