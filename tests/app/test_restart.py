"""A restarted app server reads its analysis back and, while its pages show it, readies the first update;
on both stores (for PostGIS, a new server's work folder holds nothing: the analysis comes from the database)."""

from __future__ import annotations

from geo import refresh, warm


def test_a_server_that_read_its_analysis_back_warms_up_for_the_next_batch(
    app_on, serve, served, demo_copy, monkeypatch
):
    serve(demo_copy)
    refresh.forget(served(demo_copy))  # as a fresh process: nothing held
    started = []
    real = warm.start

    def recorded(reports, context):
        started.append((len(reports), context.key))
        return real(reports, context)

    monkeypatch.setattr(warm, "start", recorded)

    at = app_on(demo_copy)

    assert not at.exception
    assert started == [(demo_copy.count(), refresh.latest(served(demo_copy))[0].split("-")[1])]
    # Held now: the next run neither reads it back nor warms up again.
    at.run()
    assert not at.exception and len(started) == 1
