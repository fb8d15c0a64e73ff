"""What reading and validating a batch returns: the accepted frame, the rejected features, every issue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem found in a batch.

    ``index`` and ``feature_id`` are None for a file-level issue. An ``error`` rejects the feature;
    a ``warning`` keeps it (the problem was corrected or is harmless) and tells the user.
    """

    index: int | None
    feature_id: str | None
    field: str | None
    problem: str
    fix: str
    severity: Severity = "error"

    def as_text(self) -> str:
        """One line for a terminal or a log."""
        where = "file" if self.index is None else f"feature {self.index}"
        if self.feature_id is not None:
            where += f" (id {self.feature_id!r})"
        if self.field:
            where += f", field {self.field!r}"
        return f"{self.severity}: {where}: {self.problem} Fix: {self.fix}"


@dataclass(frozen=True)
class Rejection:
    """A feature that was not accepted, kept whole with the issues that rejected it."""

    index: int
    feature_id: str | None
    feature: dict[str, Any]
    issues: tuple[Issue, ...]


@dataclass
class IngestResult:
    """The outcome of reading one batch file."""

    accepted: gpd.GeoDataFrame
    rejected: list[Rejection]
    issues: list[Issue]
    notes: list[str]
    sha256: str
    filename: str
    format: str
    n_features: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every feature was accepted."""
        return not self.rejected

    @property
    def errors(self) -> list[Issue]:
        """The issues that rejected features or the file."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """The issues that were corrected or are harmless."""
        return [i for i in self.issues if i.severity == "warning"]
