"""Building the master workbook in a child process while the service refreshes the reporting
tables (`sync.rapportagetabellen`), for a large portfolio: the two are independent, and on a
machine with two cores or more the run ends sooner by the shorter of them.

The child gets the snapshot and sends back the workbook's bytes (`master_inhoud`, the same
bytes as built here); writing the file stays with the service. Any trouble with the child (it
cannot start, dies, raises) is logged and the master is built in this process after all, so the
run never depends on it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os

from sync.overzicht import Overzicht

log = logging.getLogger("pmiek.sync.master")

#: From this many projects a child process pays for its start and for passing the snapshot.
ACHTERGROND_VANAF = 200


def _bouw(conn, overzicht: Overzicht) -> None:
    try:
        from sync.master.werkmap import master_inhoud
        uit: tuple = ("ok", master_inhoud(overzicht))
    except Exception as exc:  # noqa: BLE001 - reported to the service, which builds it itself
        uit = ("fout", f"{type(exc).__name__}: {exc}")
    conn.send(uit)


class MasterBouw:
    """The master of `overzicht`, started in a child process when that is worth it; `inhoud()`
    gives its bytes."""

    def __init__(self, overzicht: Overzicht) -> None:
        self.overzicht = overzicht
        self.pid: int | None = None
        self._proces = self._conn = None
        if (len(overzicht.projecten) < ACHTERGROND_VANAF or (os.cpu_count() or 1) < 2
                or multiprocessing.current_process().daemon):
            return
        from sync.leesploeg import werkcontext, zonder_hoofdmodule
        try:
            ctx = werkcontext()
            self._conn, kind = ctx.Pipe(duplex=False)
            self._proces = ctx.Process(target=_bouw, args=(kind, overzicht), daemon=True, name="pmiek-master")
            with zonder_hoofdmodule():
                self._proces.start()
            kind.close()
            self.pid = self._proces.pid
        except Exception as exc:  # noqa: BLE001 - no child (no resources, an unpicklable value): built here
            log.warning("master not built in a child process", extra={"fields": {"error": str(exc)}})
            self._stop()

    def inhoud(self) -> bytes:
        from sync.master.werkmap import master_inhoud

        if self._proces is not None and self._conn is not None:
            try:
                soort, waarde = self._conn.recv()
                if soort == "ok":
                    return waarde
                reden = waarde
            except (EOFError, OSError) as exc:  # the child died
                reden = f"child ended (exit code {self._proces.exitcode}): {exc}"
            finally:
                self._stop()
            log.warning("master build in a child process failed; building it here",
                        extra={"fields": {"reason": reden}})
        return master_inhoud(self.overzicht)

    def sluit(self) -> None:
        """End the child if its workbook is no longer wanted (the run failed before writing it)."""
        if self._proces is not None and self._proces.is_alive():
            self._proces.kill()
        self._stop()

    def _stop(self) -> None:
        if self._proces is not None:
            if self._proces.is_alive():
                self._proces.join(5)
            if self._proces.is_alive():
                self._proces.kill()
                self._proces.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proces = self._conn = None
