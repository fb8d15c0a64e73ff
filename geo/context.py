"""The analysis context: what an analysis depends on besides the reports, resolved once.

"Which scenario is in force?" has one answer for a store: the committed scenario with the users'
edits kept beside the store (:mod:`geo.scenario.edits`), or a folder given explicitly (the CLI's
``--scenario``). :func:`resolve` gives it with the agreement, the attribution threshold and the
context key (:func:`geo.pipeline.context_key`), so that the analysis, its cache and a briefing
pack's manifest all name the same context.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import geopandas as gpd

from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.errors import InputError
from geo.pipeline import _SETTLED_NS, context_key, scenario_sectors
from geo.rules import Agreement, load_agreement
from geo.scenario import Scenario, load_scenario
from geo.scenario.edits import EDITS_DIR, ScenarioEdits, edits_root
from geo.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """What an analysis depends on besides the reports: the scenario in force, the agreement, the threshold.

    Attributes
    ----------
    scenario_dir
        The folder of the scenario in force: the committed one, or the derived copy with the edits.
    agreement_path
        The agreement file.
    threshold
        The side attribution threshold of a report's origin.
    key
        :func:`geo.pipeline.context_key` of the scenario folder and the agreement (the key pack
        manifests record); computed when not given.

    The scenario, its sectors and the agreement are read on first use and kept: they are shared,
    so never mutate the frames they hold. Read later than the key was made (a stored analysis read
    back words its reasons with them when first shown), they are checked to be the files the key
    names: files changed meanwhile are an error, never terms the analysis was not made under.
    """

    scenario_dir: Path
    agreement_path: Path
    threshold: float = ATTRIBUTION_THRESHOLD
    key: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "scenario_dir", Path(self.scenario_dir))
        object.__setattr__(self, "agreement_path", Path(self.agreement_path))
        if not self.key:
            object.__setattr__(self, "key", context_key(self.scenario_dir, self.agreement_path))

    # cached_property writes to the instance's __dict__ directly, which a frozen dataclass (without
    # slots) allows; the cached values are not fields, so equality and hashing ignore them.
    @cached_property
    def scenario(self) -> Scenario:
        """The contact line versions, control areas, zones and posts of :attr:`scenario_dir`."""
        return self._unchanged(load_scenario(self.scenario_dir))

    @cached_property
    def sectors(self) -> gpd.GeoDataFrame | None:
        """The scenario's sectors, or None when it defines none."""
        return self._unchanged(scenario_sectors(self.scenario_dir))

    @cached_property
    def agreement(self) -> Agreement:
        """The agreement's terms."""
        return self._unchanged(load_agreement(self.agreement_path))

    def _unchanged(self, loaded: T) -> T:
        """``loaded``, once the files are checked to be still those of :attr:`key` (read after it)."""
        try:
            now = context_key(self.scenario_dir, self.agreement_path)
        except FileNotFoundError:
            now = None
        if now != self.key:
            msg = (
                f"The scenario or agreement files changed after this analysis was made under them "
                f"({self.scenario_dir}, {self.agreement_path})."
            )
            raise InputError(msg, hint="Reload the page: the analysis is brought up to the files in force.")
        return loaded


def _store_path(settings: Settings, store_path: Path | str | None) -> Path | str:
    from geo.store import configured

    return configured(settings, store_path)


def scenario_edits(settings: Settings, *, store_path: Path | str | None = None) -> ScenarioEdits:
    """The users' edits of the store at ``store_path`` (a GeoPackage path or a PostGIS URL; default
    the settings' store) over the settings' committed scenario.

    A GeoPackage store keeps them in files beside it; a PostGIS store in its database, with a copy
    in its local folder that every read brings up to date. Either store's audit log records each edit.
    """
    from functools import partial

    from geo.audit.log import record
    from geo.store import is_url, open_store, work_dir

    location = _store_path(settings, store_path)
    base = Path(settings.scenario_dir)
    if not is_url(location):
        store = open_store(Path(location))
        audit = partial(record, store)
        return ScenarioEdits(edits_root(Path(location)), base, settings=settings, audit=audit)
    store = open_store(location, work=work_dir(settings))
    audit = partial(record, store)
    return ScenarioEdits(store.path / EDITS_DIR, base, settings=settings, shared=store.edits, audit=audit)


def scenario_in_force(
    settings: Settings, *, store_path: Path | None = None, scenario_dir: Path | None = None
) -> Path:
    """The folder of the scenario in force for the store at ``store_path`` (default the settings').

    An explicit ``scenario_dir`` wins, as it is. Otherwise the settings' ``scenario_dir`` with the
    users' edits kept beside the store: itself when there are none, or when it is already that
    store's edited copy; else the derived copy with the edits applied (written when missing).
    """
    if scenario_dir is not None:
        folder = Path(scenario_dir)
        if not folder.is_dir():
            msg = f"No scenario folder at {folder}."
            raise InputError(
                msg,
                hint="Give a folder laid out as data/scenario (contact line, control areas, zones, posts).",
            )
        return folder
    edits = scenario_edits(settings, store_path=store_path)
    base = Path(settings.scenario_dir)
    if edits.root.resolve() in base.resolve().parents:  # already the edited one
        return base
    return edits.scenario_dir()


def resolve(
    settings: Settings,
    *,
    store_path: Path | None = None,
    scenario_dir: Path | None = None,
    threshold: float = ATTRIBUTION_THRESHOLD,
) -> Context:
    """The context in force for a store: the committed scenario with the users' edits kept beside the store
    (:mod:`geo.scenario.edits`), the agreement and threshold of the settings. An explicit ``scenario_dir``
    (the CLI's ``--scenario``) wins.

    ``store_path`` defaults to the settings' store. Reading the edits hashes the scenario's files:
    resolve once per analysis, or cache on :func:`fingerprint`.
    """
    folder = scenario_in_force(settings, store_path=store_path, scenario_dir=scenario_dir)
    return Context(scenario_dir=folder, agreement_path=Path(settings.agreement_path), threshold=threshold)


def fingerprint(
    settings: Settings, *, store_path: Path | None = None, scenario_dir: Path | None = None
) -> tuple:
    """A cheap summary of every file :func:`resolve` reads, which changes whenever its answer may change.

    The path, inode, size and modification and change times of the scenario's files, of the stored
    edits and of the agreement, from their metadata alone; a file changed in the last moments (when
    a further change might leave the same metadata) is also summarised by its content's hash.
    Cache a resolved context on it, with the settings: equal fingerprints, the same context.
    """
    if scenario_dir is not None:
        folders = [Path(scenario_dir)]
    else:
        edits = scenario_edits(settings, store_path=store_path)
        edits.pull()  # another server's edit shows here first
        folders = [Path(settings.scenario_dir), edits.root / "history"]
    paths = [p for folder in folders for p in sorted(folder.glob("*.geojson"))]
    paths.append(Path(settings.agreement_path))
    now = time.time_ns()
    out = []
    for path in paths:
        try:
            s = path.stat()
            recent = now - max(s.st_mtime_ns, s.st_ctime_ns) <= _SETTLED_NS
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if recent else None
        except FileNotFoundError:  # gone meanwhile, or no agreement: resolve says so
            out.append((str(path.absolute()), None))
            continue
        out.append((str(path.absolute()), s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns, digest))
    return tuple(out)
