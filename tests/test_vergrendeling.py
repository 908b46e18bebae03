"""The store's locks (sync.vergrendeling) on both backends: a lock file beside a SQLite file, a
session advisory lock in a PostgreSQL database. Same semantics: try once, wait up to a timeout,
free again after release, and a lock of one kind never blocks another kind."""

from __future__ import annotations

import threading
import time

import pytest

from sync.vergrendeling import Advisoryslot, Bestandsslot, Bezet, slot


@pytest.fixture
def slotje(store_url, tmp_path):
    """A maker of lock objects on the test's store; every one made is released at the end."""
    gemaakt = []

    def maak(soort: str = "run"):
        s = slot(store_url, soort, tmp_path / "store.db.lock")
        gemaakt.append(s)
        return s

    yield maak
    for s in gemaakt:
        s.release()


def test_the_backend_decides_the_kind_of_lock(store_url, tmp_path) -> None:
    s = slot(store_url, "dienst", tmp_path / "store.db.lock")
    if store_url.startswith("postgresql"):
        assert isinstance(s, Advisoryslot)
    else:
        assert isinstance(s, Bestandsslot) and s.pad == tmp_path / "store.db.lock"
        assert slot(store_url, "run", tmp_path / "store.db.lock").pad == tmp_path / "store.db.run.lock"  # type: ignore[attr-defined]


def test_a_held_lock_refuses_a_second_holder_until_released(slotje) -> None:
    eerste, tweede = slotje(), slotje()
    eerste.acquire(0)
    with pytest.raises(Bezet):
        tweede.acquire(0)
    begin = time.monotonic()
    with pytest.raises(Bezet):
        tweede.acquire(0.6)
    assert time.monotonic() - begin >= 0.55  # it waited for the timeout before giving up
    # Another kind of lock on the same store is independent.
    slotje("dienst").acquire(0)
    eerste.release()
    tweede.acquire(0)


def test_a_waiting_holder_gets_the_lock_when_it_is_released(slotje) -> None:
    eerste, tweede = slotje(), slotje()
    eerste.acquire(0)
    threading.Timer(0.5, eerste.release).start()
    begin = time.monotonic()
    tweede.acquire(10)
    assert 0.4 <= time.monotonic() - begin < 5


def test_context_manager_releases(slotje) -> None:
    eerste, tweede = slotje(), slotje()
    with eerste:
        with pytest.raises(Bezet):
            tweede.acquire(0)
    tweede.acquire(0)
