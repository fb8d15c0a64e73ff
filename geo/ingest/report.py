"""The validation report as a table, for the Upload page and the CLI's JSON."""

from __future__ import annotations

import pandas as pd

from geo.ingest.result import Issue


def issues_table(issues: list[Issue]) -> pd.DataFrame:
    """One row per issue: feature index, id, field, problem and fix (file-level issues have no index)."""
    return pd.DataFrame(
        {
            "feature": [i.index for i in issues],
            "id": [i.feature_id for i in issues],
            "field": [i.field for i in issues],
            "problem": [i.problem for i in issues],
            "fix": [i.fix for i in issues],
        }
    ).astype({"feature": "Int64"})
