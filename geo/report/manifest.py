"""The manifest of a briefing pack: what it was made from, so that its figures can be rebuilt and checked."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import InputError

KIND = "ceasefire-monitor/briefing-pack"
VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """What a pack was made from and the figures it shows.

    Attributes
    ----------
    filters
        The filters' URL form (:meth:`geo.filters.Filters.to_params`): period, sector and choices.
    options
        How it was drawn: ``size``, ``colour_by``, ``title``.
    agreement_file, agreement_sha256
        The agreement file's name and the SHA-256 of its bytes.
    context_key
        :func:`geo.pipeline.context_key`: scenario files, agreement and software version together.
    software_version
        ``geo.__version__``.
    store_hash
        :func:`geo.report.stamp.content_hash` of every stored report when the pack was made.
    view_hash
        The same hash of the reports the pack covers.
    generated_at
        ISO 8601 UTC time of making.
    figures
        The headline figures (:func:`geo.report.figures.headline`) and the table's event ids.
    audit
        The audit log's tree head when the pack was made (:meth:`geo.audit.log.TreeHead.to_dict`:
        ``size``, ``root``, ``at``, ``store_id``), or None (a pack made before issue 15, or without a
        store). ``python -m geo audit verify --head MANIFEST`` later proves the log, and so every
        write behind the pack's figures, is unaltered since.
    """

    filters: dict[str, str]
    options: dict[str, Any]
    agreement_file: str
    agreement_sha256: str
    context_key: str
    software_version: str
    store_hash: str
    view_hash: str
    generated_at: str
    figures: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] | None = None

    def to_json(self) -> str:
        """Return the manifest as indented JSON text (ASCII, so it fits in PDF metadata as it is)."""
        return (
            json.dumps({"kind": KIND, "version": VERSION, **asdict(self)}, indent=2, sort_keys=False) + "\n"
        )

    @classmethod
    def from_json(cls, text: str, *, what: str = "The manifest") -> Manifest:
        """Read a manifest written by :meth:`to_json`.

        Raises
        ------
        InputError
            When the text is not JSON, not a briefing-pack manifest, or lacks a field.
        """
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"{what} is not JSON ({exc.msg} at line {exc.lineno})."
            raise InputError(msg, hint="Give the .manifest.json file written beside the pack.") from None
        if not isinstance(doc, dict) or doc.get("kind") != KIND:
            msg = f'{what} is not a briefing-pack manifest (no "kind": "{KIND}").'
            raise InputError(msg, hint="Give the .manifest.json file written beside the pack.")
        names = [f for f in cls.__dataclass_fields__ if f not in ("figures", "audit")]
        missing = [n for n in names if n not in doc]
        if missing:
            msg = f"{what} lacks {', '.join(missing)}."
            raise InputError(msg, hint="Use the manifest as the pack wrote it; do not edit it by hand.")
        if not isinstance(doc["filters"], dict) or not all(
            isinstance(v, str) for v in doc["filters"].values()
        ):
            msg = f"{what} has filters that are not a mapping of parameter to text."
            raise InputError(msg, hint="Use the manifest as the pack wrote it; do not edit it by hand.")
        if doc.get("audit") is not None:
            from geo.audit.log import TreeHead

            TreeHead.from_dict(
                doc["audit"], where=f"{what}'s audit tree head"
            )  # a GeoError naming what is wrong
        return cls(**{n: doc[n] for n in [*names, "figures", "audit"] if n in doc})

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read a manifest file; :class:`InputError` when it is missing or unreadable."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            msg = f"No manifest at {path}."
            raise InputError(msg, hint="Give the .manifest.json file written beside the pack.") from None
        return cls.from_json(text, what=f"The manifest {path}")


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def differences(old: Manifest, new: Manifest) -> list[str]:
    """Return, in words, how a rebuilt pack's manifest differs from the original's (empty: the same).

    The data, the agreement, the scenario context and the software version are checked first, as
    they explain any difference in the figures that follows.
    """
    out = []
    if old.view_hash != new.view_hash:
        out.append(
            f"The stored reports no longer match the manifest: the reports the filters select now hash to "
            f"{new.view_hash[:16]}, the pack's to {old.view_hash[:16]} (a batch was added, retracted or edited)."
        )
    elif old.store_hash != new.store_hash:
        out.append("The store has changed since the pack was made, but not the reports the pack covers.")
    if old.agreement_sha256 != new.agreement_sha256:
        out.append(f"The agreement file differs from the one used ({old.agreement_file}).")
    if old.context_key != new.context_key and old.agreement_sha256 == new.agreement_sha256:
        out.append("The scenario files (line, control areas, zones, posts) or the software differ.")
    if old.software_version != new.software_version:
        out.append(f"The software version is {new.software_version}, the pack's was {old.software_version}.")
    for name in sorted(set(old.figures) | set(new.figures)):
        a, b = old.figures.get(name), new.figures.get(name)
        if a != b:
            out.append(f"Figure {name!r}: {_short(a)} in the pack, {_short(b)} now.")
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else f"{text[:117]}..."
