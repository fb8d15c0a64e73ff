"""A restarted app server reads its analysis back and, while its pages show it, readies the first update."""

from __future__ import annotations

import shutil

from geo import refresh, warm
from geo.store import open_store


def test_a_server_that_read_its_analysis_back_warms_up_for_the_next_batch(
    app_on, demo_analysis, demo_store, tmp_path, monkeypatch
):
    folder = tmp_path / "copy"
    shutil.copytree(demo_store.path.parent, folder)  # with the analysis stored beside it
    path = folder / demo_store.path.name
    refresh.forget(open_store(path))  # as a fresh process: nothing held
    started = []
    real = warm.start

    def recorded(reports, context):
        started.append((len(reports), context.key))
        return real(reports, context)

    monkeypatch.setattr(warm, "start", recorded)

    at = app_on(path)

    assert not at.exception
    assert started == [(demo_store.count(), refresh.latest(open_store(path))[0].split("-")[1])]
    # Held now: the next run neither reads it back nor warms up again.
    at.run()
    assert not at.exception and len(started) == 1
