"""User-made contact line versions and zones, kept beside the store as an append-only history of edits.

The committed scenario (``data/scenario/``) is never written. Each edit is one immutable GeoJSON file
``<store dir>/scenario_edits/history/<seq>-<kind>-<label>.geojson`` with its provenance (who, when, the
uploaded file's name and SHA-256, a note) in an ``edit`` member; an uploaded line file is also kept
whole under ``files/<sha256>``. The scenario in force is the committed one with every edit applied in
order, written once per state to ``current/<key>/`` (a derived copy, rebuilt when missing): pass
:meth:`ScenarioEdits.scenario_dir` wherever a scenario folder is expected, and the analysis cache key
(:func:`geo.pipeline.context_key`) changes with every edit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from geo.audit import current_actor
from geo.crs import centre_of, theatre_crs
from geo.errors import GeoError, InputError
from geo.scenario.loading import FILES, SIDES, ZONE_KINDS, Scenario, load_scenario
from geo.settings import Settings, load_settings
from geo.utc import to_utc

EDITS_DIR = "scenario_edits"
LINE, ZONE, ZONE_REMOVED = "line_version", "zone", "zone_removed"
# An analyst's proposed zone edit, and an admin's refusal of one: kept in the history, never applied.
ZONE_DRAFT, DRAFT_DISCARDED = "zone_draft", "zone_draft_discarded"
# The kinds that change the scenario in force (the others are kept in the history only).
APPLIED = (LINE, ZONE, ZONE_REMOVED)
# The audit log's action for each kind of edit (geo.audit.log.ACTIONS): a draft, its publishing and
# its discarding are zone entries, told apart by the entry's ``kind``.
AUDIT_ACTION = {LINE: "line_version", ZONE: "zone", ZONE_REMOVED: "zone", ZONE_DRAFT: "zone",
                DRAFT_DISCARDED: "zone"}  # fmt: skip
# What an edit's audit entry repeats of its provenance (beside its number, kind, label and note).
_AUDITED_META = ("filename", "proposes", "replace", "base", "draft", "drafted_by")
# Records one audit entry (geo.audit.log.record's keywords: action, what, hashes).
Auditor = Callable[..., Any]
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
LABEL_HINT = "Use up to 40 letters, digits, '.', '_' or '-', starting with a letter or digit."
# The two control areas of a line version may overlap by this share of the smaller one (digitising slack).
MAX_OVERLAP = 0.01
# Each control area must reach this close to its line, in metres.
MAX_GAP_M = 1000.0
LINE_FILE_HINT = (
    "Upload one GeoJSON FeatureCollection: the line (LineString or MultiLineString) with version, "
    "valid_from (ISO 8601 with an offset) and name, and one (Multi)Polygon per side with side UA or RU "
    "(docs/SCENARIO_EDITING.md)."
)


@dataclass(frozen=True)
class Edit:
    """One stored edit: ``seq`` orders them; ``label`` is the line version or zone id."""

    seq: int
    kind: str
    label: str
    author: str
    at: pd.Timestamp
    note: str
    path: Path


@dataclass(frozen=True)
class Draft:
    """An analyst's proposed zone edit (a ``zone_draft`` in the history) and what became of it.

    ``proposes`` is :data:`ZONE` (a new zone or, ``replace``, a revision; ``feature`` the zone) or
    :data:`ZONE_REMOVED`; ``base`` the number of the zone's last edit in force when it was drawn (0:
    the committed zone, or a new one); ``state`` "open", "published" or "discarded", ``settled_*``
    who settled it, when, and that edit's number.
    """

    seq: int
    zone_id: str
    proposes: str
    replace: bool
    base: int
    author: str
    at: pd.Timestamp
    note: str
    feature: dict[str, Any] | None
    state: str
    settled_by: str | None
    settled_at: pd.Timestamp | None
    settled_seq: int | None


class SharedEdits(Protocol):
    """Where a shared store keeps the edits (the PostGIS store's database), its history folder a copy."""

    def pull(self, folder: Path) -> None:
        """Make ``folder`` hold exactly the stored edit documents (write the missing, drop the withdrawn)."""
        ...

    def publish(self, seq: int, name: str, text: str) -> bool:
        """Store the edit ``name`` as number ``seq`` unless that number or name is taken; True if stored."""
        ...

    def withdraw(self, name: str) -> None:
        """Remove the edit ``name`` (one that clashed with another made at the same moment)."""
        ...

    def keep_file(self, sha256: str, data: bytes) -> None:
        """Keep an uploaded file by its SHA-256."""
        ...


def edits_root(store_path: Path) -> Path:
    """Where the edits of the store at ``store_path`` live: beside it, like its original files."""
    return Path(store_path).parent / EDITS_DIR


def _publish(folder: Path, path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` whole or not at all, only if ``path`` does not exist; True if written.

    The text goes to a hidden temporary file first (never read as history: not ``*.geojson``), is
    flushed to disk, then hard-linked to ``path``, which fails when another session created it.
    A crash leaves a stray temporary file, never a half-written edit that would stop the scenario
    from loading.
    """
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".edit-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry: Any, **props: Any) -> dict[str, Any]:
    geom = geometry if isinstance(geometry, dict) else mapping(geometry)
    return {"type": "Feature", "geometry": geom, "properties": props}


def _read_features(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


class ScenarioEdits:
    """The edit history of one store over the committed scenario in ``base_dir``.

    Parameters
    ----------
    root
        The edits folder (:func:`edits_root` of the store path); created on the first edit.
    base_dir
        The committed scenario folder (the ``scenario_dir`` setting); only read.
    settings
        The theatre box that edited geometry must fall in; default :func:`geo.settings.load_settings`.
    shared
        The store that keeps the edits when it is shared by several servers (PostGIS); ``root`` is
        then this server's copy of them, brought up to date before every read.
    audit
        Records each stored edit in the store's audit log (``geo.audit.log.record`` bound to the
        store; :func:`geo.context.scenario_edits` passes it). An edit whose entry cannot be recorded
        is withdrawn: none stands unrecorded. None records nothing (tests of the history alone).
    """

    def __init__(
        self,
        root: Path,
        base_dir: Path,
        *,
        settings: Settings | None = None,
        shared: SharedEdits | None = None,
        audit: Auditor | None = None,
    ) -> None:
        self.root = Path(root)
        self.base_dir = Path(base_dir)
        self.settings = settings or load_settings()
        self.shared = shared
        self.audit = audit

    def pull(self) -> None:
        """Bring the history folder up to the shared store's edits (nothing to do without one)."""
        if self.shared is not None:
            folder = self.root / "history"
            folder.mkdir(parents=True, exist_ok=True)
            self.shared.pull(folder)

    def edits(self) -> list[Edit]:
        """Every stored edit, oldest first."""
        self.pull()
        folder = self.root / "history"
        out = []
        for path in sorted(folder.glob("*.geojson")) if folder.is_dir() else []:
            meta = json.loads(path.read_text(encoding="utf-8"))["edit"]
            out.append(
                Edit(
                    seq=int(meta["seq"]),
                    kind=meta["kind"],
                    label=meta["label"],
                    author=meta["author"],
                    at=pd.Timestamp(meta["at"]),
                    note=meta["note"],
                    path=path,
                )
            )
        return out

    def applied(self) -> list[Edit]:
        """The edits that make the scenario in force (no drafts): a draft leaves its folder and key alone."""
        return [e for e in self.edits() if e.kind in APPLIED]

    def history(self) -> pd.DataFrame:
        """The edits as a table: seq, kind, label, author, at (UTC), note, file."""
        rows = [(e.seq, e.kind, e.label, e.author, e.at, e.note, e.path.name) for e in self.edits()]
        return pd.DataFrame(rows, columns=["seq", "kind", "label", "author", "at", "note", "file"])

    def _merged(
        self, extra: list[dict[str, Any]] | None = None, *, upto: int | None = None
    ) -> dict[str, dict[str, Any]]:
        """The scenario files' collections with every edit (numbered up to ``upto``; and ``extra``, a
        candidate) applied."""
        out = {
            name: json.loads((self.base_dir / name).read_text(encoding="utf-8"))
            for name in FILES
            if (self.base_dir / name).is_file()
        }
        kept = [e for e in self.edits() if upto is None or e.seq <= upto]
        docs = [json.loads(e.path.read_text(encoding="utf-8")) for e in kept] + (extra or [])
        for doc in docs:
            kind = doc["edit"]["kind"]
            if kind not in APPLIED:  # a draft or its discarding: not in force
                continue
            if kind == LINE:
                for f in doc["features"]:
                    name = (
                        "contact_line.geojson" if "side" not in f["properties"] else "control_areas.geojson"
                    )
                    out[name]["features"].append(f)
            else:
                zone_id = doc["edit"]["label"]
                kept = [f for f in out["zones.geojson"]["features"] if f["properties"]["zone_id"] != zone_id]
                out["zones.geojson"]["features"] = kept + (doc["features"] if kind == ZONE else [])
        return out

    def _write_dir(self, target: Path, merged: dict[str, dict[str, Any]]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
        for path in self.base_dir.glob("*.geojson"):
            if path.name not in merged:
                shutil.copyfile(path, tmp / path.name)
        for name, doc in merged.items():
            (tmp / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:  # another session wrote the same state first: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)

    def _check(self, candidate: dict[str, Any] | None = None, *, upto: int | None = None) -> Scenario:
        """Load the scenario with the edits (numbered up to ``upto``) and ``candidate`` applied (every
        check of :func:`load_scenario`); a refusal names the scenario's file, not the folder it was
        checked in."""
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "s"
            self._write_dir(target, self._merged([candidate] if candidate else None, upto=upto))
            try:
                return load_scenario(target)
            except InputError as exc:
                where = "the scenario with the edits applied: "
                raise InputError(
                    exc.message.replace(f"{target}/", where).replace(str(target), where), hint=exc.hint
                ) from None

    def scenario_dir(self) -> Path:
        """The folder of the scenario in force: the committed one, or a derived copy with the edits applied."""
        edits = self.applied()
        if not edits:
            return self.base_dir
        h = hashlib.sha256()
        for path in [*sorted(self.base_dir.glob("*.geojson")), *(e.path for e in edits)]:
            h.update(path.name.encode())
            h.update(path.read_bytes())
        key = h.hexdigest()[:16]
        current = self.root / "current"
        target = current / key
        if not target.is_dir():
            self._write_dir(target, self._merged())
            # Older states are derived copies: keep the previous one for a session still reading it.
            older = sorted(
                (d for d in current.iterdir() if d != target and not d.name.startswith(".tmp-")),
                key=lambda d: d.stat().st_mtime,
            )
            for old in older[:-1]:
                shutil.rmtree(old, ignore_errors=True)
        return target

    def scenario(self) -> Scenario:
        """The scenario in force (see :meth:`scenario_dir`)."""
        return load_scenario(self.scenario_dir())

    def _store(
        self,
        kind: str,
        label: str,
        features: list[dict[str, Any]],
        *,
        note: str,
        new_zone: bool = False,
        **meta: Any,
    ) -> Edit:
        """Check the edit against the whole scenario, then write it as the next history file.

        Every edit (drafts and their settling included) is stored here, its author the acting user
        (:func:`geo.audit.current_actor`), never a name typed in.

        ``new_zone``: the edit makes a zone that must not exist; one made meanwhile by another
        session under the same id (an earlier number) makes this edit withdraw, as a clash does.
        """
        at = pd.Timestamp.now(tz="UTC")
        author = current_actor()
        doc = _collection(features) | {
            "edit": {
                "seq": 0,
                "kind": kind,
                "label": label,
                "author": author,
                "at": at.isoformat(),
                "note": note,
            }
            | meta
        }
        self._check(doc)
        folder = self.root / "history"
        folder.mkdir(parents=True, exist_ok=True)
        seq = max((e.seq for e in self.edits()), default=0) + 1
        while True:
            doc["edit"]["seq"] = seq
            path = folder / f"{seq:06d}-{kind}-{label}.geojson"
            text = json.dumps(doc, ensure_ascii=False, indent=1)
            if self.shared is None:
                published = _publish(folder, path, text)
            elif published := self.shared.publish(seq, path.name, text):
                _publish(folder, path, text)
            if not published:
                seq += 1  # another session took this number first
                continue
            try:
                # Another session may have stored a clashing edit (the same version) in the meantime:
                # the earlier one stands (checked with the edits before it), this later one withdraws.
                if new_zone and label in set(self._check(upto=seq - 1).zones["zone_id"].astype(str)):
                    msg = f"Zone {label} was made by another user meanwhile; yours was not stored."
                    raise InputError(
                        msg, hint="Reload the page to see it; edit it, or give yours another id."
                    )
                self._check(upto=seq)
                self._settled_meanwhile(doc["edit"])
                self._audited(doc["edit"], text)
            except GeoError:
                if self.shared is not None:
                    self.shared.withdraw(path.name)
                path.unlink(missing_ok=True)
                raise
            return Edit(seq, kind, label, author, at, note, path)

    def _audited(self, meta: dict[str, Any], text: str) -> None:
        """Record a stored edit in the audit log: its number, kind, label, note and provenance, and
        the SHA-256 of its document (and of an uploaded line file)."""
        if self.audit is None:
            return
        what = {k: meta[k] for k in ("seq", "kind", "label", "note")} | {
            k: meta[k] for k in _AUDITED_META if k in meta
        }
        hashes = {"edit": hashlib.sha256(text.encode("utf-8")).hexdigest()}
        if "sha256" in meta:
            hashes["file"] = meta["sha256"]
        self.audit(action=AUDIT_ACTION[meta["kind"]], what=what, hashes=hashes)

    def _in_theatre(self, geom: shapely.Geometry, *, what: str) -> None:
        x0, y0, x1, y1 = self.settings.theatre_bbox
        minx, miny, maxx, maxy = geom.bounds
        if minx < x0 or maxx > x1 or miny < y0 or maxy > y1:
            box = ", ".join(f"{v:g}" for v in self.settings.theatre_bbox)
            swapped = x0 <= miny and maxy <= x1 and y0 <= minx and maxx <= y1
            msg = f"{what} reaches outside the theatre ({box}): its bounds are {', '.join(f'{v:.3f}' for v in geom.bounds)}."
            hint = (
                "The coordinates look swapped: GeoJSON writes [longitude, latitude]."
                if swapped
                else "Give WGS84 longitude/latitude in the theatre, or widen theatre_bbox in ceasefire.toml."
            )
            raise InputError(msg, hint=hint)

    def add_line_version(self, data: bytes, *, filename: str, note: str = "") -> Edit:
        """Store a new contact line version with both sides' control areas, from an uploaded GeoJSON file.

        Raises
        ------
        InputError
            Naming what is wrong: not GeoJSON, not one line and one area per side, a version or
            start time that exists, geometry outside the theatre, invalid or overlapping areas, an
            area that does not reach the line. Nothing is stored then.
        """
        line, areas = _split_line_file(data, filename=filename)
        props = line["properties"]
        version = str(props.get("version") or "").strip()
        if not _LABEL.match(version):
            msg = f"{filename}: the line's version {version!r} is not a usable label."
            raise InputError(msg, hint=LABEL_HINT)
        valid_from = to_utc(props.get("valid_from"), what=f"valid_from of line {version} in {filename}")
        current = self.scenario()
        if version in set(current.lines["version"]):
            msg = f"{filename}: line version {version!r} exists already."
            raise InputError(
                msg, hint="Give the new line a new version label; versions are never overwritten."
            )
        if (current.lines["valid_from"] == valid_from).any():
            msg = f"{filename}: a line version already starts at {valid_from.isoformat()}."
            raise InputError(msg, hint="Give the new version its own valid_from.")
        line_geom = shape(line["geometry"])
        self._in_theatre(line_geom, what=f"Line {version}")
        # The areas may reach beyond the theatre box (to the rear); that they meet the line is checked.
        polygons = {side: shape(f["geometry"]) for side, f in areas.items()}
        _check_areas(polygons, line_geom, filename=filename)
        when = valid_from.isoformat()
        name = str(props.get("name") or f"Contact line {version}")
        features = [_feature(line["geometry"], version=version, valid_from=when, name=name)] + [
            _feature(areas[side]["geometry"], side=side, version=version, valid_from=when) for side in SIDES
        ]
        sha = hashlib.sha256(data).hexdigest()
        if self.shared is not None:  # kept first: an edit is never stored without its file
            self.shared.keep_file(sha, data)
        edit = self._store(LINE, version, features, note=note, filename=filename, sha256=sha)
        files = self.root / "files"
        files.mkdir(parents=True, exist_ok=True)
        (files / sha).write_bytes(data)
        return edit

    def zone_ids(self) -> list[str]:
        """The zone ids in force."""
        return self.scenario().zones["zone_id"].astype(str).tolist()

    def save_zone(
        self,
        geometry: dict[str, Any],
        *,
        zone_id: str,
        kind: str,
        name: str,
        replace: bool = False,
        note: str = "",
    ) -> Edit:
        """Store a drawn zone: a new one, or (``replace``) a new revision of a zone in force.

        Parameters
        ----------
        geometry
            GeoJSON geometry (lon/lat), as the map's Draw tool returns it: Polygon or MultiPolygon.
        zone_id, kind, name
            As in ``zones.geojson``; ``kind`` one of :data:`geo.scenario.ZONE_KINDS`.
        replace
            Whether ``zone_id`` names a zone in force to change (True) or a new zone (False).

        Raises
        ------
        InputError
            For a shape that is not a valid polygon in the theatre, an unknown kind, an empty name,
            or an id that exists (new zone) or does not (revision). Nothing is stored then.
        """
        feature = self._zone_feature(geometry, zone_id=zone_id, kind=kind, name=name, replace=replace)
        zone_id = feature["properties"]["zone_id"]
        return self._store(ZONE, zone_id, [feature], note=note, new_zone=not replace)

    def _zone_feature(
        self, geometry: dict[str, Any], *, zone_id: str, kind: str, name: str, replace: bool
    ) -> dict[str, Any]:
        """A zone's feature, checked as :meth:`save_zone` says (for a save, a draft and its publishing)."""
        zone_id = str(zone_id).strip()
        if not _LABEL.match(zone_id):
            msg = f"The zone id {zone_id!r} is not a usable label."
            raise InputError(msg, hint=LABEL_HINT)
        if kind not in ZONE_KINDS:
            msg = f"The zone kind {kind!r} is not known."
            raise InputError(msg, hint=f"Use one of {', '.join(ZONE_KINDS)}.")
        if not str(name).strip():
            msg = f"Zone {zone_id} has no name."
            raise InputError(msg, hint="Give the zone a name a reader recognises (a place, a purpose).")
        self._known(zone_id, expect=replace)
        geom = _zone_shape(geometry, zone_id=zone_id)
        self._in_theatre(geom, what=f"Zone {zone_id}")
        return _feature(geom, zone_id=zone_id, kind=kind, name=str(name).strip())

    def remove_zone(self, zone_id: str, *, note: str = "") -> Edit:
        """Take a zone out of force (its earlier revisions stay in the history)."""
        self._known(zone_id, expect=True)
        return self._store(ZONE_REMOVED, zone_id, [], note=note)

    def _known(self, zone_id: str, *, expect: bool) -> None:
        known = zone_id in self.zone_ids()
        if known and not expect:
            msg = f"Zone {zone_id} exists already."
            raise InputError(msg, hint="Choose another id, or pick the zone to edit it.")
        if expect and not known:
            msg = f"There is no zone {zone_id} in force."
            raise InputError(msg, hint="Pick a zone from the list.")

    # Zone drafts (issue 15): an analyst proposes, an admin publishes or discards. A draft is an edit
    # document of its own kind in the same numbered history (so both stores share it as they share
    # every edit, and nothing is ever deleted); :data:`APPLIED` keeps it out of the scenario in force.

    def save_zone_draft(
        self,
        geometry: dict[str, Any],
        *,
        zone_id: str,
        kind: str,
        name: str,
        replace: bool = False,
        note: str = "",
    ) -> Edit:
        """Keep a drawn zone as a draft: checked as :meth:`save_zone` checks it, not in force until an
        admin publishes it (:meth:`publish_draft`). Its author is the acting user."""
        feature = self._zone_feature(geometry, zone_id=zone_id, kind=kind, name=name, replace=replace)
        zone_id = feature["properties"]["zone_id"]
        self._check(_collection([feature]) | {"edit": {"kind": ZONE, "label": zone_id}})
        base = self._latest_of(zone_id) if replace else 0
        return self._store(
            ZONE_DRAFT, zone_id, [feature], note=note, proposes=ZONE, replace=replace, base=base
        )

    def remove_zone_draft(self, zone_id: str, *, note: str = "") -> Edit:
        """Keep, as a draft, the proposal to take a zone out of force."""
        self._known(zone_id, expect=True)
        base = self._latest_of(zone_id)
        return self._store(ZONE_DRAFT, zone_id, [], note=note, proposes=ZONE_REMOVED, replace=True, base=base)

    def drafts(self, *, state: str | None = "open", author: str | None = None) -> list[Draft]:
        """The zone drafts, oldest first: those in ``state`` ("open", "published", "discarded"; None:
        all), of ``author`` (None: anyone's)."""
        docs = self._documents()
        settled: dict[int, tuple[Edit, str]] = {}
        for edit, doc in docs:
            ref = doc["edit"].get("draft")
            if ref is not None and edit.kind != ZONE_DRAFT and int(ref) not in settled:
                settled[int(ref)] = (edit, "discarded" if edit.kind == DRAFT_DISCARDED else "published")
        out = []
        for edit, doc in docs:
            if edit.kind != ZONE_DRAFT:
                continue
            by, now = settled.get(edit.seq, (None, "open"))
            meta = doc["edit"]
            draft = Draft(
                seq=edit.seq,
                zone_id=edit.label,
                proposes=meta["proposes"],
                replace=bool(meta["replace"]),
                base=int(meta["base"]),
                author=edit.author,
                at=edit.at,
                note=edit.note,
                feature=doc["features"][0] if doc["features"] else None,
                state=now,
                settled_by=None if by is None else by.author,
                settled_at=None if by is None else by.at,
                settled_seq=None if by is None else by.seq,
            )
            if (state is None or draft.state == state) and (author is None or draft.author == author):
                out.append(draft)
        return out

    def draft(self, seq: int) -> Draft:
        """The draft numbered ``seq``, in whatever state; an unknown number is refused by name."""
        found = [d for d in self.drafts(state=None) if d.seq == int(seq)]
        if not found:
            msg = f"There is no zone draft numbered {seq}."
            raise InputError(msg, hint="Pick a draft from the list of drafts (reload the page to see it).")
        return found[0]

    def publish_draft(self, seq: int, *, note: str = "") -> Edit:
        """Bring an open draft into force: a zone edit (by the acting user, the draft's author kept as
        ``drafted_by``) that passes every check a zone save passes now, against the scenario in force
        now. A draft of a zone changed since it was drawn is refused: publishing it would silently undo
        that change."""
        d = self._open_draft(seq)
        latest = self._latest_of(d.zone_id)
        if d.replace and latest != d.base:
            by = next(e for e in self.edits() if e.seq == latest)
            msg = (
                f"Zone {d.zone_id} changed after draft {d.seq} was made (edit {latest} by {by.author});"
                " publishing the draft would undo that change."
            )
            raise InputError(
                msg, hint="Discard the draft; its author can draw it again on the zone in force."
            )
        meta = {"draft": d.seq, "drafted_by": d.author}
        note = note or d.note
        if d.proposes == ZONE_REMOVED:
            self._known(d.zone_id, expect=True)
            return self._store(ZONE_REMOVED, d.zone_id, [], note=note, **meta)
        props = d.feature["properties"]
        feature = self._zone_feature(
            d.feature["geometry"],
            zone_id=d.zone_id,
            kind=props["kind"],
            name=props["name"],
            replace=d.replace,
        )
        return self._store(ZONE, d.zone_id, [feature], note=note, new_zone=not d.replace, **meta)

    def discard_draft(self, seq: int, *, note: str = "") -> Edit:
        """Close an open draft unpublished (it stays in the history, with who discarded it and why)."""
        d = self._open_draft(seq)
        return self._store(DRAFT_DISCARDED, d.zone_id, [], note=note, draft=d.seq)

    def _open_draft(self, seq: int) -> Draft:
        d = self.draft(seq)
        if d.state != "open":
            msg = f"Draft {d.seq} (zone {d.zone_id}) was {d.state} by {d.settled_by} at {d.settled_at:%Y-%m-%d %H:%M} UTC."
            raise InputError(msg, hint="Reload the page: the list shows the drafts still open.")
        return d

    def _documents(self) -> list[tuple[Edit, dict[str, Any]]]:
        return [(e, json.loads(e.path.read_text(encoding="utf-8"))) for e in self.edits()]

    def _latest_of(self, zone_id: str) -> int:
        """The number of the last edit in force of zone ``zone_id`` (0: none, the committed zone)."""
        return max(
            (e.seq for e in self.applied() if e.kind in (ZONE, ZONE_REMOVED) and e.label == zone_id),
            default=0,
        )

    def _settled_meanwhile(self, meta: dict[str, Any]) -> None:
        """Refuse a draft's publishing or discarding stored as number ``meta["seq"]`` when another
        session settled the same draft under an earlier number: the earlier stands, as in a clash."""
        ref = meta.get("draft")
        if ref is None:
            return
        for edit, doc in self._documents():
            if edit.seq < meta["seq"] and edit.kind != ZONE_DRAFT and doc["edit"].get("draft") == ref:
                done = "discarded" if edit.kind == DRAFT_DISCARDED else "published"
                msg = f"Draft {ref} was {done} by {edit.author} meanwhile; yours was not stored."
                raise InputError(msg, hint="Reload the page to see it.")


def _split_line_file(data: bytes, *, filename: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The line feature and the control-area feature of each side in an uploaded line file."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        msg = f"{filename} is not valid JSON ({str(exc)[:120]})."
        raise InputError(msg, hint=LINE_FILE_HINT) from None
    features = (
        doc.get("features") if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else None
    )
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        msg = f"{filename} is not a GeoJSON FeatureCollection."
        raise InputError(msg, hint=LINE_FILE_HINT)
    kinds: dict[str, list[dict[str, Any]]] = {"line": [], "area": [], "other": []}
    for f in features:
        geometry = f.get("geometry")
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        gtype = gtype if isinstance(gtype, str) else None
        props = f.get("properties")
        f["properties"] = props if isinstance(props, dict) else {}
        key = {"LineString": "line", "MultiLineString": "line", "Polygon": "area", "MultiPolygon": "area"}
        kinds[key.get(gtype, "other")].append(f)
    if kinds["other"] or len(kinds["line"]) != 1:
        msg = f"{filename} holds {len(kinds['line'])} line feature(s) and {len(kinds['other'])} of another geometry."
        raise InputError(msg, hint=LINE_FILE_HINT)
    areas: dict[str, dict[str, Any]] = {}
    for f in kinds["area"]:
        side = f["properties"].get("side")
        if side not in SIDES or side in areas:
            msg = f"{filename}: a control area has side {side!r}" + (" twice." if side in areas else ".")
            raise InputError(msg, hint=f"Give exactly one area per side, with side {' or '.join(SIDES)}.")
        areas[side] = f
    missing = [s for s in SIDES if s not in areas]
    if missing:
        msg = f"{filename} has no control area for {', '.join(missing)}."
        raise InputError(
            msg,
            hint="Add each side's control area: which side a report is on is a polygon test, not a guess.",
        )
    for f in [*kinds["line"], *areas.values()]:
        what = "the line" if f in kinds["line"] else f"the {f['properties']['side']} control area"
        try:
            geom = shape(f["geometry"])
        except (
            AttributeError,
            KeyError,
            TypeError,
            ValueError,
            IndexError,
            shapely.errors.GEOSException,
        ) as exc:
            msg = f"{filename}: {what} cannot be read as a geometry ({' '.join(str(exc).split())[:120]})."
            raise InputError(
                msg, hint="Give coordinates as [longitude, latitude] numbers, a line at least two points."
            ) from None
        if not geom.is_valid or geom.is_empty:
            msg = f"{filename}: {what} is not a valid geometry ({shapely.is_valid_reason(geom)})."
            raise InputError(
                msg, hint="Repair it in a GIS (for example QGIS's Fix geometries) and upload again."
            )
        if f in kinds["line"] and not geom.is_simple:
            msg = f"{filename}: the line crosses itself."
            raise InputError(
                msg, hint="A contact line divides two sides: redraw it so that it never crosses itself."
            )
    return kinds["line"][0], areas


def _check_areas(polygons: dict[str, shapely.Geometry], line: shapely.Geometry, *, filename: str) -> None:
    """The two sides' areas barely overlap and each reaches the line (measured in metres)."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"side": list(polygons)}, geometry=list(polygons.values()), crs=4326)
    crs = theatre_crs(*centre_of(frame))
    metric = frame.to_crs(crs).geometry
    line_m = gpd.GeoSeries([line], crs=4326).to_crs(crs).iloc[0]
    a, b = metric.iloc[0], metric.iloc[1]
    overlap = a.intersection(b).area / max(min(a.area, b.area), 1.0)
    if overlap > MAX_OVERLAP:
        msg = f"{filename}: the control areas overlap over {overlap:.0%} of the smaller one."
        raise InputError(msg, hint="Each place is held by one side: the areas should meet along the line.")
    for side, geom in zip(frame["side"], metric, strict=True):
        gap = geom.distance(line_m)
        if gap > MAX_GAP_M:
            msg = f"{filename}: the {side} control area stays {gap / 1000:.1f} km from the line."
            raise InputError(msg, hint="The areas should reach the line they are on each side of.")


def _zone_shape(geometry: Any, *, zone_id: str) -> shapely.Geometry:
    """A drawn zone's geometry, checked: a valid Polygon or MultiPolygon with an area."""
    try:
        geom = shape(geometry)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        geom = None
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
        got = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        msg = f"Zone {zone_id} needs a polygon, not {got!r}."
        raise InputError(
            msg, hint="Draw it with the polygon or rectangle tool (a circle or marker has no area)."
        )
    if not geom.is_valid or geom.area == 0:
        reason = shapely.is_valid_reason(geom) if not geom.is_valid else "no area"
        msg = f"Zone {zone_id} is not a valid polygon ({reason})."
        raise InputError(msg, hint="Redraw it without crossing edges.")
    return geom
