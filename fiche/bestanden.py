"""Writing files so that a reader, or a crash, sees either the old file or the whole new one.

Every file pMIEK writes for someone else to open goes through `atomisch_schrijven`: the master
workbook, its published copy, the outbox e-mails and the small state files beside them (sync),
and the coloured copy of `pmiek validate --colour` (`fiche.gekleurde_kopie`).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

#: How every temp file of `atomisch_schrijven` ends (`.NAME.RANDOM.pmiek.tmp`, hidden): recognisably
#: ours, so `veeg_tijdelijke` can remove what a killed process left without touching a user's file.
TIJDELIJK_ACHTERVOEGSEL = ".pmiek.tmp"
#: A temp file younger than this may belong to a writer that is busy right now.
OUD_GENOEG = 15 * 60.0


def atomisch_schrijven(doel: Path, data: bytes | memoryview, modus: int | None = None) -> None:
    """Write `data` to `doel` through a temp file in the same folder and `os.replace`.

    `modus` is the file mode; None keeps the mode of the file being replaced, or gives a new file
    what the umask gives (mkstemp alone would make every file private).
    """
    doel = Path(doel)
    doel.parent.mkdir(parents=True, exist_ok=True)
    fd, tijdelijk = tempfile.mkstemp(prefix=f".{doel.name}.", suffix=TIJDELIJK_ACHTERVOEGSEL, dir=doel.parent)
    try:
        os.chmod(tijdelijk, _bestandsmodus(doel) if modus is None else modus)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tijdelijk, doel)
    except BaseException:
        Path(tijdelijk).unlink(missing_ok=True)
        raise
    _fsync_map(doel.parent)


def veeg_tijdelijke(map_: Path | None, ouder_dan: float = OUD_GENOEG) -> list[Path]:
    """Remove the temp files of `atomisch_schrijven` that a killed process left in `map_` (not
    below it), older than `ouder_dan` seconds; returns what was removed. Only our own names
    (`.*` + `TIJDELIJK_ACHTERVOEGSEL`): a user's files, hidden or `.tmp` ones too, stay."""
    if map_ is None or not Path(map_).is_dir():
        return []
    grens = time.time() - ouder_dan
    weg = []
    for pad in Path(map_).glob(f".*{TIJDELIJK_ACHTERVOEGSEL}"):
        try:
            if pad.is_file() and not pad.is_symlink() and pad.stat().st_mtime <= grens:
                pad.unlink()
                weg.append(pad)
        except OSError:
            continue  # gone already, or not ours to remove: the next sweep tries again
    return weg


def _bestandsmodus(pad: Path) -> int:
    """The mode of the file being replaced, else what the umask gives a new file."""
    try:
        return pad.stat().st_mode & 0o777
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_map(map_: Path) -> None:
    """Makes the rename durable on POSIX; Windows cannot open a directory and needs no such step."""
    if os.name != "posix":
        return
    try:
        fd = os.open(map_, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
