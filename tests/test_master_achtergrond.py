"""The master built in a child process (`sync.master.achtergrond`): the same bytes as built in the
service's process, and any trouble with the child costs nothing but the time to build it here."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from sample_overzicht import groot_overzicht

from sync.master import master_inhoud
from sync.master.achtergrond import ACHTERGROND_VANAF, MasterBouw


def _zonder_tijd(inhoud: bytes) -> dict[str, bytes]:
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(inhoud)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_a_large_master_is_built_in_a_child_with_the_same_bytes() -> None:
    overzicht = groot_overzicht(ACHTERGROND_VANAF + 10)
    bouw = MasterBouw(overzicht)
    assert bouw.pid is not None and bouw.pid != os.getpid()
    inhoud = bouw.inhoud()
    assert inhoud == master_inhoud(overzicht)  # byte for byte: the child's clock plays no part
    assert not Path(f"/proc/{bouw.pid}").exists()  # the child ended and was reaped


def test_a_small_master_is_built_here() -> None:
    overzicht = groot_overzicht(ACHTERGROND_VANAF - 1)
    bouw = MasterBouw(overzicht)
    assert bouw.pid is None
    assert _zonder_tijd(bouw.inhoud()) == _zonder_tijd(master_inhoud(overzicht))


def test_a_child_that_dies_is_replaced_by_building_here(caplog) -> None:
    overzicht = groot_overzicht(ACHTERGROND_VANAF + 10)
    bouw = MasterBouw(overzicht)
    assert bouw.pid is not None
    os.kill(bouw.pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING):
        inhoud = bouw.inhoud()
    assert inhoud == master_inhoud(overzicht)
    assert "master build in a child process failed; building it here" in caplog.text


def test_a_run_that_fails_before_the_master_ends_the_child() -> None:
    bouw = MasterBouw(groot_overzicht(ACHTERGROND_VANAF + 10))
    assert bouw.pid is not None
    bouw.sluit()
    einde = time.monotonic() + 10
    while Path(f"/proc/{bouw.pid}").exists() and time.monotonic() < einde:
        time.sleep(0.05)
    assert not Path(f"/proc/{bouw.pid}").exists()
