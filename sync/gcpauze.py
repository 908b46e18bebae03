"""The cyclic garbage collector paused while a sync run or a master build allocates in bulk.

A run makes hundreds of thousands of objects that live until its end: the fiches' stored rows,
the snapshot of 6,000 projects, the master's cells (XlsxWriter keeps every cell as a tracked
object). The collector, started every few hundred allocations, walks them again and again: a
quarter of the CPU a master takes and a fifth of a snapshot's. Nearly all of a run's garbage
is freed by reference counting anyway; the few cycles (SQLAlchemy's, an exception's traceback)
wait for the one pass at the end, a few MiB for a run of 1,000 fiches.

Pauses nest and may overlap across threads (the scheduler's sync and e-mail jobs): the
collector runs again when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_slot = threading.Lock()
_actief = 0
_was_aan = False


@contextmanager
def zonder_cyclische_gc() -> Iterator[None]:
    """No cyclic collection inside; one pass over the young objects when the last pause ends
    (only if the collector was on when the first began)."""
    global _actief, _was_aan
    with _slot:
        if _actief == 0:
            _was_aan = gc.isenabled()
            gc.disable()
        _actief += 1
    try:
        yield
    finally:
        with _slot:
            _actief -= 1
            weer_aan = _actief == 0 and _was_aan
            if weer_aan:
                gc.enable()
        if weer_aan:
            # Everything made during the pause is still in the youngest generation: this pass
            # frees its cycles without walking the objects that were old before it.
            gc.collect(0)
