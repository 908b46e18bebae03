"""Reading and validating fiches in worker processes, for a sync with many files to read.

Reading a fiche is CPU work (inflating the archive, parsing XML, python-calamine, the rules), so
a run with hundreds of files to read spreads them over one worker per core. The workers also
keep a file that takes its reader down away from the service: an engine abort or the kernel's
out-of-memory killer ends a worker, not the run. Each worker reads its files one after the other
in the order it got them, so the file it was reading when it died is known: that version is
refused (it would do the same next time), the file queued behind it goes to a fresh worker and
the run goes on. A read that takes longer than the time limit (a hung engine, pathological XML)
is ended the same way.

Only plain data crosses the process boundary: the file's bytes go in; the verdict (as the
columns of its row in the store), or the Dutch message of a refusal, comes back with the log
records the reader wrote, which the service logs as its own.

`intake` decides when the pool is worth starting (`aantal_lezers`); small runs read in-process,
through the same `lees_hier`, so both report a read the same way.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from fiche.errors import PmiekError

log = logging.getLogger("pmiek.sync.leesploeg")

#: From this many files to read, a pool pays for its start-up (measured in bench/bench_sync.py).
PLOEG_VANAF = 50
#: Workers at most when the config leaves it to the machine (`sync.readers = 0`).
MAX_AUTOMATISCH = 4
#: Files handed to a worker ahead: the next one waits in its pipe while it reads.
VOORRAAD = 2


def aantal_lezers(ingesteld: int, te_lezen: int) -> int:
    """Workers for a run with `te_lezen` files to read: 1 means in-process (no pool)."""
    if ingesteld == 1 or te_lezen < PLOEG_VANAF:
        return 1
    if multiprocessing.current_process().daemon:
        # A daemonic process may not start children (a sync run inside multiprocessing.Pool).
        log.info("reading in-process: this process is daemonic", extra={"fields": {"files": te_lezen}})
        return 1
    if ingesteld <= 0:
        ingesteld = min(MAX_AUTOMATISCH, os.cpu_count() or 1)
    return max(1, min(ingesteld, te_lezen))


@dataclass
class Leesopdracht:
    """One version to read; `sleutel` is the caller's handle for it."""

    sleutel: Any
    inhoud: bytes
    naam: str


@dataclass
class Leesuitkomst:
    """What became of one `Leesopdracht`. `soort`: "oordeel" (`kolommen`: the verdict as
    `sync.versiekolommen.versie_kolommen` stores it),
    "geweigerd" (the reader refused the file: `melding` in Dutch, `reden` in English),
    "fout" (an unexpected exception in the reader: `reden`), "gestorven" (the worker died while
    reading it) or "te_lang" (ended after the time limit)."""

    opdracht: Leesopdracht
    soort: str
    kolommen: dict[str, Any] | None = None
    melding: str | None = None
    reden: str | None = None


# --- In the worker ------------------------------------------------------------------------------

class _Verzamelaar(logging.Handler):
    """Keeps the log records of one read, flattened so they pickle."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args, record.exc_info = record.getMessage(), None, None
        self.records.append(record)


def _oordeel(lees: Callable[[bytes, str], dict[str, Any]], inhoud: bytes, naam: str) -> tuple:
    """(soort, kolommen, melding, reden) of one read, as `Leesuitkomst` holds them."""
    try:
        return "oordeel", lees(inhoud, naam), None, None
    except PmiekError as exc:  # FileRefused among them
        return "geweigerd", None, exc.melding, str(exc)
    except Exception as exc:  # noqa: BLE001 - one strange file must never stop the run
        logging.getLogger("pmiek.sync.intake").exception("reader failed on a file", extra={"fields": {"item": naam}})
        return "fout", None, None, f"{type(exc).__name__}: {exc}"


def lees_hier(opdracht: Leesopdracht, lees: Callable[[bytes, str], dict[str, Any]]) -> Leesuitkomst:
    """The read in this process, with the outcome a reader process would report."""
    return Leesuitkomst(opdracht, *_oordeel(lees, opdracht.inhoud, opdracht.naam))


def _werker(taken, antwoorden, lees: Callable[[bytes, str], dict[str, Any]]) -> None:
    # Ctrl-C reaches the whole process group: the service decides what happens to a read.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    verzamelaar = _Verzamelaar()
    root = logging.getLogger()
    root.handlers[:] = [verzamelaar]
    root.setLevel(logging.DEBUG)
    while True:
        try:
            inhoud, naam = taken.recv()
        except (EOFError, OSError):  # the service is gone
            return
        verzamelaar.records = []
        antwoorden.send((*_oordeel(lees, inhoud, naam), verzamelaar.records))


# --- In the service -----------------------------------------------------------------------------

def _context():
    # forkserver: workers fork from a clean single-threaded server with the reader imported,
    # never from the service itself (its scheduler and database threads must not be forked).
    methoden = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methoden else "spawn")
    if ctx.get_start_method() == "forkserver":
        # What the first read would import otherwise.
        ctx.set_forkserver_preload(["fiche.reader", "fiche.validatie", "sync.versiekolommen", "sync.leesploeg",
                                    "python_calamine", "defusedxml"])
    return ctx


@contextlib.contextmanager
def _zonder_hoofdmodule():
    """While a reader process is started: a child started by forkserver or spawn imports the
    parent's main module first (`pmiek.cli`, a script), a few tenths of a second a reader does
    not need, since what it runs lives in `sync`. A bare stand-in hides it."""
    hoofd = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if hoofd is not None:
            sys.modules["__main__"] = hoofd


class _Lezer:
    """One worker process. Files go to it through a sender thread, so the service never blocks
    on a worker that is busy reading while that worker waits to hand back its previous answer."""

    def __init__(self, ctx, lees: Callable[[bytes, str], dict[str, Any]]) -> None:
        taken_in, self._taken = ctx.Pipe(duplex=False)
        self.conn, antwoorden_uit = ctx.Pipe(duplex=False)
        self.proces = ctx.Process(target=_werker, args=(taken_in, antwoorden_uit, lees), daemon=True,
                                  name="pmiek-lezer")
        with _zonder_hoofdmodule():
            self.proces.start()
        taken_in.close()
        antwoorden_uit.close()
        #: Handed to this worker and not answered yet, oldest first: it reads them in this order.
        self.opdrachten: deque[Leesopdracht] = deque()
        self.sinds = 0.0  # when it began reading the oldest
        self._wachtrij: queue.SimpleQueue = queue.SimpleQueue()
        self._zender = threading.Thread(target=self._zend, name="pmiek-lezer-zender", daemon=True)
        self._zender.start()

    def _zend(self) -> None:
        while (opdracht := self._wachtrij.get()) is not None:
            try:
                self._taken.send((opdracht.inhoud, opdracht.naam))
            except OSError:  # the worker is gone; the service sees its end through the sentinel
                return

    def geef(self, opdracht: Leesopdracht) -> None:
        if not self.opdrachten:
            self.sinds = time.monotonic()
        self.opdrachten.append(opdracht)
        self._wachtrij.put(opdracht)

    def stop(self) -> None:
        if self.proces.is_alive():
            self.proces.kill()
        self.proces.join(5)
        self._wachtrij.put(None)
        self._zender.join(5)
        self._taken.close()
        self.conn.close()


class LeesPloeg:
    """N worker processes reading `Leesopdracht`s with `lees` (a picklable function of the
    file's bytes and name that returns the verdict's columns, or raises `PmiekError` to refuse
    the file); use as a context manager."""

    def __init__(self, aantal: int, lees: Callable[[bytes, str], dict[str, Any]], leestijd: float) -> None:
        self._ctx = _context()
        self._lees = lees
        self.leestijd = leestijd
        self._lezers = [_Lezer(self._ctx, self._lees) for _ in range(aantal)]
        log.info("reader pool started", extra={"fields": {"workers": aantal, "time_limit_s": leestijd}})

    def __enter__(self) -> LeesPloeg:
        return self

    def __exit__(self, *exc) -> None:
        for lezer in self._lezers:
            lezer.stop()

    def lees(self, opdrachten: Iterator[Leesopdracht]) -> Iterator[Leesuitkomst]:
        """The outcome of every opdracht, in the order the reads finish. `opdrachten` is only
        advanced when a worker has room (VOORRAAD files each), which bounds the memory held."""
        bron = iter(opdrachten)
        op = False

        def vul(lezer: _Lezer) -> None:
            nonlocal op
            while not op and len(lezer.opdrachten) < VOORRAAD:
                opdracht = next(bron, None)
                if opdracht is None:
                    op = True
                else:
                    lezer.geef(opdracht)

        for lezer in self._lezers:
            vul(lezer)
        while True:
            bezig = [lezer for lezer in self._lezers if lezer.opdrachten]
            if not bezig:
                return
            vroegste = min(lezer.sinds for lezer in bezig)
            klaar = wait([lezer.conn for lezer in bezig] + [lezer.proces.sentinel for lezer in bezig],
                         timeout=max(0.0, vroegste + self.leestijd - time.monotonic()))
            for i, lezer in enumerate(self._lezers):
                if not lezer.opdrachten:
                    continue
                uitkomst = None
                if lezer.conn in klaar or lezer.conn.poll():
                    uitkomst = self._antwoord(i)
                elif lezer.proces.sentinel in klaar or not lezer.proces.is_alive():
                    uitkomst = self._vervang(i, "gestorven", f"reader process died (exit code "
                                                             f"{lezer.proces.exitcode})")
                elif time.monotonic() - lezer.sinds >= self.leestijd:
                    uitkomst = self._vervang(i, "te_lang", f"read took longer than {self.leestijd:g} s")
                if uitkomst is not None:
                    vul(self._lezers[i])  # the worker reads on while the caller stores this outcome
                    yield uitkomst

    def _antwoord(self, i: int) -> Leesuitkomst:
        lezer = self._lezers[i]
        try:
            soort, kolommen, melding, reden, records = lezer.conn.recv()
        except (EOFError, OSError):  # died while it answered
            return self._vervang(i, "gestorven", "reader process died while answering")
        opdracht = lezer.opdrachten.popleft()
        lezer.sinds = time.monotonic()
        for record in records:
            doel = logging.getLogger(record.name)
            if doel.isEnabledFor(record.levelno):
                doel.handle(record)
        return Leesuitkomst(opdracht, soort, kolommen, melding, reden)

    def _vervang(self, i: int, soort: str, reden: str) -> Leesuitkomst:
        """The worker ended on the file it was reading (its oldest); the files queued behind it go
        to a new worker."""
        oud = self._lezers[i]
        oud.stop()
        opdracht, *wachtend = oud.opdrachten
        log.error("reader process ended on a file; a new one takes over",
                  extra={"fields": {"item": opdracht.naam, "reason": reden}})
        nieuw = self._lezers[i] = _Lezer(self._ctx, self._lees)
        for volgende in wachtend:
            nieuw.geef(volgende)
        return Leesuitkomst(opdracht, soort, reden=reden)
