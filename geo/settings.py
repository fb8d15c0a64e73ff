"""Settings: defaults, overridden by ``ceasefire.toml`` beside the project and by ``CM_*`` environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geo.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SCENARIO_DIR = DATA_DIR / "scenario"
# What the setting outside_theatre may say.
OUTSIDE_THEATRE_CHOICES: tuple[str, ...] = ("warn", "reject")
# What the setting oidc_unknown_role may say (never more than viewer: a role above needs a users entry).
OIDC_UNKNOWN_CHOICES: tuple[str, ...] = ("none", "viewer")


@dataclass(frozen=True)
class Settings:
    """Everything an operator may configure; read once with :func:`load_settings`.

    Paths are relative to the project root unless absolute.
    """

    store_path: Path = PROJECT_ROOT / "var" / "store.gpkg"
    # The store: postgresql://user@host:port/database for a PostGIS store shared by several app
    # servers (docs/DEPLOY.md), a GeoPackage path, or empty for the GeoPackage at store_path. With
    # PostGIS, store_path's folder keeps this server's local copies of what it read.
    store_url: str = ""
    # Tile URL template for the map's base layer; empty means no tiles (vector context only).
    tile_url: str = ""
    tile_attribution: str = ""
    max_upload_mb: float = 200.0
    # An upload may hold at most this many features, and a zip archive may expand to at most this
    # many MB: a small zipped shapefile of a million points needed 2.3 GB to read (docs/IMPORT.md).
    max_features: int = 250_000
    max_uncompressed_mb: float = 1000.0
    # lon_min, lat_min, lon_max, lat_max: where reports are expected (swapped-coordinate check).
    theatre_bbox: tuple[float, float, float, float] = (22.0, 44.0, 41.0, 53.0)
    # A report outside theatre_bbox: "warn" keeps it with a warning naming the point and the box,
    # "reject" refuses it (to the quarantine, with the same words).
    outside_theatre: str = "warn"
    # The IANA time zone of the theatre's calendar: a date alone in a report is that day there.
    theatre_timezone: str = "Europe/Kyiv"
    scenario_dir: Path = SCENARIO_DIR
    agreement_path: Path = DATA_DIR / "agreement.toml"
    classification: str = "OFFICIAL"
    # Most reports the Map page draws one by one; more in view are drawn as hexagons with counts.
    map_point_limit: int = 4000
    # Most reports drawn whose popups travel with them; above, a click fetches the clicked one's.
    map_popup_limit: int = 1000
    uploader: str = ""
    # Sign-in (docs/SECURITY.md, README "Sign-in"): the local users file (python -m geo users add);
    # empty means none, and then the app runs in single-user mode, served on the loopback only.
    users_path: str = ""
    # What a person signed in through OpenID Connect whom no entry of the users file names may do:
    # "none" (refused, the default: a provider may admit a whole organisation) or "viewer".
    oidc_unknown_role: str = "none"

    @property
    def max_upload_bytes(self) -> int:
        """The largest upload accepted, in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_uncompressed_bytes(self) -> int:
        """The most an uploaded archive may expand to, in bytes."""
        return int(self.max_uncompressed_mb * 1024 * 1024)


def _coerce(name: str, raw: object, current: object) -> object:
    try:
        if isinstance(current, Path):
            path = Path(str(raw)).expanduser()
            return path if path.is_absolute() else PROJECT_ROOT / path
        if isinstance(current, tuple):
            parts = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[arg-type]
            values = tuple(float(p) for p in parts)
            if len(values) != len(current):
                raise ValueError
            return values
        if isinstance(current, float):
            return float(raw)  # type: ignore[arg-type]
        if isinstance(current, int):
            return int(raw)  # type: ignore[arg-type]
        return str(raw)
    except (TypeError, ValueError):
        msg = f"Setting {name!r} has the value {raw!r}, which is not a {type(current).__name__}."
        raise InputError(msg, hint="Fix it in ceasefire.toml or the CM_ environment variable.") from None


def load_settings(config: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Return the settings in force.

    Parameters
    ----------
    config
        A TOML file; default ``ceasefire.toml`` in the project root (optional).
    environ
        Environment to read ``CM_<NAME>`` overrides from; default ``os.environ``.
    """
    environ = os.environ if environ is None else environ
    settings = Settings()
    config = config or Path(environ.get("CM_CONFIG", PROJECT_ROOT / "ceasefire.toml"))
    overrides: dict[str, object] = {}
    if config.is_file():
        try:
            overrides.update(tomllib.loads(config.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            msg = f"The settings file {config} is not valid TOML: {exc}."
            raise InputError(msg, hint="Fix the syntax or remove the file.") from None
    for f in fields(Settings):
        key = f"CM_{f.name.upper()}"
        if key in environ:
            overrides[f.name] = environ[key]
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        msg = f"Unknown setting(s) {', '.join(unknown)} in {config}."
        raise InputError(msg, hint=f"Known settings: {', '.join(sorted(known))}.")
    values = {k: _coerce(k, v, getattr(settings, k)) for k, v in overrides.items()}
    if "theatre_timezone" in values:
        _check_timezone(str(values["theatre_timezone"]))
    if "outside_theatre" in values:
        check_outside_theatre(str(values["outside_theatre"]))
    if "oidc_unknown_role" in values:
        check_oidc_unknown_role(str(values["oidc_unknown_role"]))
    return replace(settings, **values)


def check_outside_theatre(value: str) -> str:
    """Return the setting ``outside_theatre`` when it is one of its choices; raise naming them otherwise."""
    if value not in OUTSIDE_THEATRE_CHOICES:
        msg = f"Setting 'outside_theatre' is {value!r}, which is not one of {', '.join(OUTSIDE_THEATRE_CHOICES)}."
        raise InputError(
            msg, hint='Give "warn" (keep reports outside theatre_bbox, with a warning) or "reject".'
        )
    return value


def check_oidc_unknown_role(value: str) -> str:
    """Return the setting ``oidc_unknown_role`` when it is "none" or "viewer"; raise naming them otherwise."""
    if value not in OIDC_UNKNOWN_CHOICES:
        msg = f"Setting 'oidc_unknown_role' is {value!r}, which is not one of {', '.join(OIDC_UNKNOWN_CHOICES)}."
        raise InputError(
            msg,
            hint='Give "none" (only people the users file names may sign in) or "viewer" (others may read).',
        )
    return value


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"Setting 'theatre_timezone' is {name!r}, which is not an IANA time zone."
        raise InputError(msg, hint="Give a name such as Europe/Kyiv or Asia/Tbilisi.") from None
