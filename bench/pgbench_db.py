"""A throwaway PostGIS store for the benches: a new database on a server, migrated, dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


def server_url(url: str) -> str:
    """The URL of ``url``'s server's maintenance database (``postgres``)."""
    return url.rsplit("/", 1)[0] + "/postgres"


def create(url: str) -> str:
    """Make a new migrated database on the server of ``url``; return its URL."""
    import psycopg

    from geo.store.migrate import migrate

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url(url), autocommit=True) as conn:
        conn.execute(f"create database {name}")
    made = url.rsplit("/", 1)[0] + f"/{name}"
    migrate(made)
    return made


def drop(url: str) -> None:
    """Remove the database of ``url`` (made by :func:`create`)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(server_url(url), autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


@contextmanager
def database(url: str) -> Iterator[str]:
    """A new migrated database for the ``with`` block, dropped after it."""
    made = create(url)
    try:
        yield made
    finally:
        drop(made)
