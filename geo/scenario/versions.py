"""Pick the version in force at a time: contact lines and control areas are versioned by ``valid_from``."""

from __future__ import annotations

import numpy as np
import pandas as pd


def version_at(times: pd.Series, valid_from: pd.Series, versions: pd.Series) -> np.ndarray:
    """Return, for each time, the version with the latest ``valid_from`` at or before it.

    Parameters
    ----------
    times
        Timezone-aware UTC timestamps.
    valid_from
        When each version came into force (timezone-aware UTC), aligned with ``versions``.
    versions
        Version labels.

    Returns
    -------
    numpy.ndarray
        Object array of labels; None where a time precedes every version.
    """
    order = np.argsort(valid_from.to_numpy())
    starts = pd.DatetimeIndex(valid_from.to_numpy()[order]).as_unit("ns").asi8
    labels = versions.to_numpy()[order]
    t = pd.DatetimeIndex(times).as_unit("ns").asi8
    pos = np.searchsorted(starts, t, side="right") - 1
    out = np.empty(len(t), dtype=object)
    valid = pos >= 0
    out[valid] = labels[pos[valid]]
    out[~valid] = None
    return out
