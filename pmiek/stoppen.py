"""Stopping a command that works in the foreground (`pmiek sync`, `pmiek report --send`).

Python turns Ctrl+C (SIGINT) into `KeyboardInterrupt`; SIGTERM (what a service manager, `kill` or
a scheduled task sends) would end the process at once, leaving a run "bezig" or a send record
"verzenden". `sigterm_als_onderbreking` makes SIGTERM raise `Gestopt` (a `KeyboardInterrupt`) in
the main thread instead, so both take the same way out: the code that was running records how far
it got (`sync.synchronisatie.voer_sync_uit`: run "afgebroken"; `sync.kwartaal.rapportage`: the
send record), every retry wait ends at once (the wait is interrupted), and the command exits with
128 + the signal number (130 for Ctrl+C, 143 for SIGTERM), as shells do. `pmiek serve` stops
differently: its signal handler sets the stop event, the jobs end their retries, it exits 0.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sync import herhaling


class Gestopt(KeyboardInterrupt):
    """SIGTERM as an interruption (`signaal`: its number)."""

    def __init__(self, signaal: int) -> None:
        super().__init__(signaal)
        self.signaal = signaal


def _stop(signum: int, _frame: object) -> None:
    herhaling.stop_herhalingen()  # a retry in another thread (the Graph client) gives up too
    raise Gestopt(signum)


@contextmanager
def sigterm_als_onderbreking() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    vorige = signal.signal(signal.SIGTERM, _stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, vorige)
        herhaling.herhalingen_toestaan()


def exitcode(exc: KeyboardInterrupt) -> int:
    """128 + the signal: 130 for Ctrl+C, 143 for SIGTERM."""
    return 128 + getattr(exc, "signaal", signal.SIGINT)


def signaal_nl(exc: KeyboardInterrupt) -> str:
    return "SIGTERM" if getattr(exc, "signaal", None) == signal.SIGTERM else "Ctrl+C"
