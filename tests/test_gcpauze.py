"""The cyclic collector's pause around a sync run and a master build (`sync.gcpauze`)."""

from __future__ import annotations

import gc
import logging
import threading
import weakref

import pytest
from test_sync_scenarios import MapOmgeving, fiche_bytes, klok, sync, t  # noqa: F401 - klok: the frozen clock

from sync.gcpauze import zonder_cyclische_gc


@pytest.fixture(autouse=True)
def _collector_aan():
    aan = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if aan else gc.disable)()


class _Knoop:
    def __init__(self) -> None:
        self.zelf = self


def test_the_collector_is_off_inside_and_on_after_with_the_cycles_made_inside_freed() -> None:
    with zonder_cyclische_gc():
        assert not gc.isenabled()
        cyclus = weakref.ref(_Knoop())  # only a cycle keeps it: reference counting never frees it
        assert cyclus() is not None
    assert gc.isenabled()
    assert cyclus() is None


def test_nested_pauses_end_with_the_outer_one() -> None:
    with zonder_cyclische_gc():
        with zonder_cyclische_gc():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads_end_with_the_last() -> None:
    """The scheduler's sync and e-mail jobs may overlap: the first to end must not switch the
    collector back on under the other."""
    binnen, klaar = threading.Event(), threading.Event()

    def ander() -> None:
        with zonder_cyclische_gc():
            binnen.set()
            klaar.wait(10)

    draad = threading.Thread(target=ander)
    draad.start()
    assert binnen.wait(10)
    with zonder_cyclische_gc():
        pass
    assert not gc.isenabled()  # the other thread's pause still runs
    klaar.set()
    draad.join(10)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with zonder_cyclische_gc():
        pass
    assert not gc.isenabled()


def test_a_sync_run_runs_with_the_collector_paused(tmp_path, store_url) -> None:
    """Seen from inside the run: its log lines are written while the collector is off."""
    gezien: list[bool] = []

    class Kijker(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() in ("sync started", "sync finished"):
                gezien.append(gc.isenabled())

    kijker, pmiek_log = Kijker(), logging.getLogger("pmiek")
    niveau = pmiek_log.level
    pmiek_log.addHandler(kijker)
    pmiek_log.setLevel(logging.INFO)
    try:
        o = MapOmgeving(tmp_path, store_url)
        o.zet("emmen-noord.xlsx", fiche_bytes(0), t(2026, 11, 10))
        sync(o)
    finally:
        pmiek_log.removeHandler(kijker)
        pmiek_log.setLevel(niveau)
    assert gezien == [False, False]
    assert gc.isenabled()
