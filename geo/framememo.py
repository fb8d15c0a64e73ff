"""Remember a value computed from a frame for as long as that frame lives.

The pages hand the same cached analysis frame to the same functions on every run; what those
functions derive from it (distinct values, coordinates) need not be derived again. The frame must
not be changed while it lives (the analysis frames never are).
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import shapely

T = TypeVar("T")
Obj = TypeVar("Obj")
K = TypeVar("K")


def per_frame(compute: Callable[[pd.DataFrame], T]) -> Callable[[pd.DataFrame], T]:
    """Decorate a one-argument function of a frame: computed once per frame, forgotten with it.

    The values held are the decorated function's ``held`` attribute (frame id -> value).
    """
    held: dict[int, T] = {}

    @functools.wraps(compute)
    def remembered(frame: pd.DataFrame) -> T:
        key = id(frame)
        if key not in held:
            held[key] = compute(frame)
            # The id is reused once the frame is collected: forget its value then.
            weakref.finalize(frame, held.pop, key, None)
        return held[key]

    remembered.held = held  # type: ignore[attr-defined]
    return remembered


def per_object_and_key(compute: Callable[[Obj, K], T]) -> Callable[[Obj, K], T]:
    """Decorate a function of an object (a frame, a scenario: anything never changed while it lives)
    and a hashable key: computed once per object and key, forgotten with the object.

    The values are shared by every caller: they must be read, never changed.
    """
    held: dict[tuple[int, K], T] = {}

    @functools.wraps(compute)
    def remembered(obj: Obj, key: K) -> T:
        slot = (id(obj), key)
        if slot not in held:
            held[slot] = compute(obj, key)
            weakref.finalize(obj, held.pop, slot, None)
        return held[slot]

    remembered.held = held  # type: ignore[attr-defined]
    return remembered


def content_digest(*frames: pd.DataFrame) -> bytes:
    """A digest of the frames' values (geometry as WKB), their columns, CRS and lengths: equal for
    frames that any computation reads alike, whatever objects hold them. For memos of what is
    derived from scenario frames (projected once per process, not once per call)."""
    digest = hashlib.sha256()
    for frame in frames:
        name = frame.geometry.name if hasattr(frame, "geometry") else None
        digest.update(repr((list(frame.columns), str(getattr(frame, "crs", None)), len(frame))).encode())
        if name is not None:
            for wkb in shapely.to_wkb(frame.geometry.to_numpy()):
                digest.update(b"-" if wkb is None else wkb)
        other = pd.DataFrame(frame.drop(columns=[name] if name is not None else []))
        digest.update(pd.util.hash_pandas_object(other.astype(str), index=False).to_numpy().tobytes())
    return digest.digest()
