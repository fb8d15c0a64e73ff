"""Remember a value computed from a frame for as long as that frame lives.

The pages hand the same cached analysis frame to the same functions on every run; what those
functions derive from it (distinct values, coordinates) need not be derived again. The frame must
not be changed while it lives (the analysis frames never are).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

T = TypeVar("T")


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
