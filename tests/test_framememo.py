"""per_frame: a value derived from a frame once, and forgotten when the frame goes."""

from __future__ import annotations

import gc

import pandas as pd

from geo.framememo import per_frame


def test_a_frame_is_computed_once_and_forgotten_with_it():
    calls = []

    @per_frame
    def total(frame):
        calls.append(id(frame))
        return int(frame["n"].sum())

    first = pd.DataFrame({"n": [1, 2, 3]})
    assert total(first) == 6 and total(first) == 6 and len(calls) == 1
    other = pd.DataFrame({"n": [10]})
    assert total(other) == 10 and len(calls) == 2
    assert len(total.held) == 2
    del first
    gc.collect()
    # Its value goes with it: a later frame given the same id is not mistaken for it.
    assert list(total.held) == [id(other)]
