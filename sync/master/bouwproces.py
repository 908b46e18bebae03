"""Building the master workbook's bytes in a forked child process, while the run goes on.

A full sync of 1,000 fiches spends about a second building the master and a third of that
refreshing the reporting tables (`sync.rapportagetabellen`); both only read the snapshot, so they
can run side by side on two cores. A forked child inherits the snapshot as it is in memory: nothing
is pickled, imported or started (a spawned process had to unpickle 2 MB and import the writer,
which cost as much as it saved).

The child only computes `master_inhoud(overzicht)` and sends the bytes back through a pipe; it
writes no file, takes no lock, logs nothing and touches no database. Writing the master
(atomically, with its Dutch errors) stays in the service (`sync.master.werkmap.schrijf_master`).
Whatever goes wrong in the child (an exception, a signal, a hang past `TIJDSLIMIET`) is logged and
the bytes are built in the service itself, so the run's outcome never depends on the child.

Forking is used on Linux only: elsewhere (Windows has no fork; on macOS system frameworks do not
survive it) the bytes are built in the service when they are needed.
"""

from __future__ import annotations

import gc
import logging
import os
import select
import signal
import struct
import sys
import time
from typing import TYPE_CHECKING

from sync.master.werkmap import master_inhoud

if TYPE_CHECKING:
    from sync.overzicht import Overzicht

log = logging.getLogger("pmiek.sync.master")

#: Seconds the child may take (a 5,000-project master takes about 4 s on a loaded machine).
TIJDSLIMIET = 300.0
_KOP = struct.Struct("!cQ")  # status (b"K" ok, b"F" failed), then the length of what follows


def kan_vorken() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class MasterBouw:
    """The master's bytes for one snapshot, built beside the caller (`inhoud()` waits for them)."""

    def __init__(self, overzicht: Overzicht, vorken: bool | None = None) -> None:
        self._overzicht = overzicht
        self._pid: int | None = None
        self._lezer: int | None = None
        self._inhoud: bytes | None = None
        if vorken if vorken is not None else kan_vorken():
            self._start()

    def _start(self) -> None:
        lezer, schrijver = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:  # no memory or process slots: built here instead
            os.close(lezer)
            os.close(schrijver)
            log.warning("master not built in a child process: fork failed", extra={"fields": {"error": str(exc)}})
            return
        if pid == 0:  # pragma: no cover - the child; its outcome is checked by the parent
            self._kind(schrijver)
        os.close(schrijver)
        self._pid, self._lezer = pid, lezer

    def _kind(self, schrijver: int) -> None:
        """The child: build, send, exit without running any of the parent's exit handlers."""
        status = 1
        try:
            # Ctrl-C reaches the whole process group: the service decides, and stops the child.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            # Nothing of the service's is held by the child: no store connection, lock file or
            # log file stays open through it, should it outlive the service.
            os.closerange(3, schrijver)
            os.closerange(schrijver + 1, 1 << 16)
            signal.alarm(int(TIJDSLIMIET) + 10)
            # The child's objects die with it: the collector's final pass over the workbook's
            # cells (a tenth of the build, `sync.gcpauze`) is not needed here.
            gc.disable()
            try:
                data = master_inhoud(self._overzicht)
                bericht = _KOP.pack(b"K", len(data))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent, which builds again
                data = f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
                bericht = _KOP.pack(b"F", len(data))
            with os.fdopen(schrijver, "wb") as uit:
                uit.write(bericht)
                uit.write(data)
            status = 0
        finally:
            os._exit(status)

    def inhoud(self) -> bytes:
        """The workbook's bytes: the child's, or built here when there is no child or it failed."""
        if self._inhoud is None:
            data = self._van_kind() if self._pid is not None else None
            if data is None:
                data = master_inhoud(self._overzicht)
            self._inhoud = data
        return self._inhoud

    def _van_kind(self) -> bytes | None:
        assert self._lezer is not None
        begin = time.monotonic()
        stukken: list[bytes] = []
        reden = None
        try:
            while True:
                rest = TIJDSLIMIET - (time.monotonic() - begin)
                if rest <= 0 or not select.select([self._lezer], [], [], rest)[0]:
                    reden = f"no answer within {TIJDSLIMIET:.0f} s"
                    break
                stuk = os.read(self._lezer, 1 << 20)
                if not stuk:
                    break
                stukken.append(stuk)
        finally:
            self.stop()
        data = b"".join(stukken)
        if reden is None:
            if len(data) < _KOP.size:
                reden = "the child ended without an answer"
            else:
                status, lengte = _KOP.unpack_from(data)
                inhoud = data[_KOP.size:]
                if len(inhoud) != lengte:
                    reden = f"the child's answer was cut off ({len(inhoud)} of {lengte} bytes)"
                elif status != b"K":
                    reden = f"the child failed: {inhoud.decode('utf-8', 'replace')}"
                else:
                    return inhoud
        log.warning("master built again in this process", extra={"fields": {"reason": reden}})
        return None

    def stop(self) -> None:
        """End the child (if it still runs) and collect it; safe to call more than once."""
        if self._lezer is not None:
            os.close(self._lezer)
            self._lezer = None
        if self._pid is not None:
            pid, self._pid = self._pid, None
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
