"""The master's bytes built in a forked child (`sync.master.bouwproces`): the same bytes as built in
the service, and whatever happens to the child (killed, stopped past its time limit, failing, holding
the service's files, outliving a stop) the run gets its master or its real error."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import pytest
from sample_overzicht import sample_overzicht

from sync.master import bouwproces, master_inhoud
from sync.master.bouwproces import MasterBouw, kan_vorken

pytestmark = pytest.mark.skipif(not kan_vorken(), reason="the child process is used on Linux only")


def _bestaat(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_child_builds_the_same_bytes_as_the_service():
    o = sample_overzicht()
    bouw = MasterBouw(o)
    assert bouw._pid is not None and bouw._pid != os.getpid()
    assert bouw.inhoud() == master_inhoud(o)
    assert bouw._pid is None  # collected


def test_without_fork_the_bytes_are_built_when_asked():
    o = sample_overzicht()
    bouw = MasterBouw(o, vorken=False)
    assert bouw._pid is None
    assert bouw.inhoud() == master_inhoud(o)


def test_a_killed_child_costs_nothing_but_time(caplog):
    o = sample_overzicht()
    bouw = MasterBouw(o)
    pid = bouw._pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.master"):
        assert bouw.inhoud() == master_inhoud(o)
    assert [r.fields["reason"] for r in caplog.records] == ["the child ended without an answer"]
    assert not _bestaat(pid)


def test_a_hanging_child_is_ended_at_its_time_limit(monkeypatch, caplog):
    monkeypatch.setattr(bouwproces, "TIJDSLIMIET", 0.5)
    o = sample_overzicht()
    bouw = MasterBouw(o)
    pid = bouw._pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    begin = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.master"):
        assert bouw.inhoud() == master_inhoud(o)
    assert time.monotonic() - begin >= 0.5
    assert [r.fields["reason"] for r in caplog.records] == ["no answer within 0 s"]
    assert not _bestaat(pid)


class _Kapot:
    """A snapshot whose projects cannot be listed: the master cannot be built from it."""

    def __getattr__(self, naam):
        raise RuntimeError(f"kapotte momentopname ({naam})")


def test_a_failing_build_raises_its_own_error_in_the_service(caplog):
    bouw = MasterBouw(_Kapot())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.master"), \
            pytest.raises(RuntimeError, match="kapotte momentopname"):
        bouw.inhoud()
    redenen = [r.fields["reason"] for r in caplog.records]
    assert len(redenen) == 1 and redenen[0].startswith("the child failed: RuntimeError: kapotte momentopname")


def test_the_child_holds_none_of_the_services_files(tmp_path: Path):
    """Should the service die, a child must not keep its lock file or store open."""
    slot = open(tmp_path / "store.sqlite.run.lock", "w")  # noqa: SIM115 - held open on purpose
    try:
        bouw = MasterBouw(sample_overzicht())
        pid = bouw._pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # held still while its files are looked at
        try:
            deadline = time.monotonic() + 10
            while True:  # the child closes them first thing; give it the moment it needs
                open_ = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
                if not any("store.sqlite" in p for p in open_) or time.monotonic() > deadline:
                    break
                os.kill(pid, signal.SIGCONT)
                time.sleep(0.01)
                os.kill(pid, signal.SIGSTOP)
            assert not any("store.sqlite" in p for p in open_), open_
        finally:
            bouw.stop()
        assert not _bestaat(pid)
    finally:
        slot.close()


def test_stop_ends_a_busy_child():
    bouw = MasterBouw(sample_overzicht())
    pid = bouw._pid
    assert pid is not None
    bouw.stop()
    bouw.stop()  # twice is harmless
    assert not _bestaat(pid)


def _kinderen() -> set[int]:
    uit: set[int] = set()
    for taak in Path("/proc/self/task").iterdir():
        uit |= {int(p) for p in (taak / "children").read_text().split()}
    return uit


def test_an_error_beside_the_build_leaves_no_master_and_no_child(tmp_path: Path):
    """The reporting tables fail (or Ctrl-C lands) while the child builds: as before the child,
    the master is not written, and the child does not linger."""
    from sync.synchronisatie import schrijf_master_atomisch

    voor = _kinderen()
    gezien: list[set[int]] = []

    def ondertussen(afdruk: str) -> None:
        gezien.append(_kinderen() - voor)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        schrijf_master_atomisch(sample_overzicht(), tmp_path / "master.xlsx", False, ondertussen=ondertussen)
    assert len(gezien[0]) == 1  # the child was building
    assert not (tmp_path / "master.xlsx").exists()
    assert _kinderen() - voor == set()
    assert list(tmp_path.iterdir()) == []


def test_the_master_of_a_run_is_built_beside_the_reporting_tables(tmp_path: Path):
    from sync.synchronisatie import schrijf_master_atomisch

    voor = _kinderen()
    gezien: list[set[int]] = []
    o = sample_overzicht()
    pad, herschreven = schrijf_master_atomisch(o, tmp_path / "master.xlsx", False,
                                               ondertussen=lambda afdruk: gezien.append(_kinderen() - voor))
    assert herschreven and len(gezien[0]) == 1
    assert pad.read_bytes() == master_inhoud(o)
    assert _kinderen() - voor == set()


def test_a_thread_holding_the_log_lock_does_not_stop_the_child():
    """The service forks from its scheduler's worker thread while other threads live: the child
    needs no lock another thread could hold at that moment (it logs nothing, imports nothing)."""
    import threading

    gepakt, los = threading.Event(), threading.Event()
    handler = logging.StreamHandler()
    logging.getLogger("pmiek").addHandler(handler)

    def houd_vast() -> None:
        # A handler's lock, as while another thread writes a log line. (logging's module lock is
        # taken by fork itself, `os.register_at_fork`, so a fork waits for it rather than copy it held.)
        with handler.lock:  # type: ignore[union-attr]
            gepakt.set()
            los.wait(30)

    draad = threading.Thread(target=houd_vast)
    draad.start()
    try:
        assert gepakt.wait(10)
        o = sample_overzicht()
        bouw = MasterBouw(o)
        assert bouw._pid is not None
        begin = time.monotonic()
        assert bouw.inhoud() == master_inhoud(o)
        assert time.monotonic() - begin < 20  # the holder lets go after 30 s: the child did not wait for it
    finally:
        los.set()
        draad.join()
        logging.getLogger("pmiek").removeHandler(handler)
