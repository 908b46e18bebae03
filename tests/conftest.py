"""Shared fixtures and the test markers.

- `libreoffice`: LibreOffice headless for opening and recalculating generated workbooks; it
  keeps its warmed-up profiles for the whole session (a fresh profile's first start is the slow
  part) and converts many files in one start where a test asks for that.
- Markers by construction: a test that uses the `libreoffice` or `chromium` fixture is marked so;
  a test that starts a Python/pmiek/LibreOffice/Chromium/node child process without being marked
  `subprocess` (or `libreoffice`/`chromium`) fails, so `scripts/test.sh --fast`, which leaves those
  out, stays fast.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

# Graph/token stub fixtures (graph_stub, graph_verbinding); loopback SMTP (certificaat, smtp_server);
# a throwaway PostgreSQL cluster (postgres_server, postgres_url, store_url).
pytest_plugins = ["graphstub.plugin", "mailserver", "pgserver"]

#: Markers that allow a test to start child processes, and the fixtures that give them away.
KINDPROCES_MARKERS = ("subprocess", "libreoffice", "chromium")
MARKER_VAN_FIXTURE = {"libreoffice": "libreoffice", "chromium": "chromium", "postgres_server": "postgresql"}
#: Child processes that make a test slow or need a system package (what the markers are for);
#: tools a library may start on its own (fc-list for matplotlib's font cache) are not counted.
KINDPROCES_NAMEN = ("python", "pmiek", "soffice", "libreoffice", "chromium", "node")


class LibreOffice:
    """Runs `soffice --headless`, each run with a profile that no other run uses at that moment
    (two runs on one profile hand their work to each other); profiles are reused afterwards."""

    def __init__(self, binary: str, profiles: Path) -> None:
        self.binary = binary
        self.profiles = profiles
        self._vrij: list[Path] = []
        self._aantal = 0
        self._slot = threading.Lock()

    @contextlib.contextmanager
    def profiel(self) -> Iterator[Path]:
        """A profile directory for one soffice run; back in the pool unless the run raised (a run
        killed at its timeout may leave a lock or a half-written profile behind)."""
        with self._slot:
            if self._vrij:
                profile = self._vrij.pop()
            else:
                self._aantal += 1
                profile = self.profiles / f"profiel-{self._aantal}"
        yield profile
        with self._slot:
            self._vrij.append(profile)

    def command(self, profile: Path, sources: Sequence[Path], target_format: str, outdir: Path) -> list[str]:
        return [self.binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                "--convert-to", target_format, "--outdir", str(outdir), *map(str, sources)]

    def convert_many(self, sources: Sequence[Path], target_format: str, outdir: Path,
                     timeout: int = 600) -> dict[Path, Path]:
        """Convert several files in one LibreOffice start (formulas are recalculated); the result
        per source. The sources need distinct stems (the outputs are named after them)."""
        assert len({s.stem for s in sources}) == len(sources), "sources need distinct stems"
        outdir.mkdir(parents=True, exist_ok=True)
        with self.profiel() as profile:
            result = subprocess.run(self.command(profile, sources, target_format, outdir),
                                    capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"LibreOffice failed on {list(map(str, sources))}: {result.stdout}\n{result.stderr}")
        uit = {}
        for source in sources:
            # A per-sheet CSV export names its files "<stem>-<sheet>.csv", not "<stem>.csv".
            produced = sorted([*outdir.glob(source.stem + ".*"), *outdir.glob(source.stem + "-*.csv")],
                              key=lambda p: p.stat().st_mtime)
            if not produced:
                raise AssertionError(f"LibreOffice failed on {source}: {result.stdout}\n{result.stderr}")
            uit[source] = produced[-1]
        return uit

    def convert(self, source: Path, target_format: str, outdir: Path, timeout: int = 180) -> Path:
        """Convert `source` (e.g. to "csv:..." or "xlsx" or "pdf"); formulas are recalculated."""
        return self.convert_many([source], target_format, outdir, timeout)[source]

    def sheets_as_csv(self, source: Path, outdir: Path) -> dict[str, Path]:
        """Every sheet recalculated and exported as UTF-8 CSV, by sheet name."""
        # Filter options: comma, quote, UTF-8, start row 1, ..., -1 = all sheets, one file each.
        self.convert(source, 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', outdir)
        return {p.stem[len(source.stem) + 1:]: p for p in outdir.glob(source.stem + "-*.csv")}


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory) -> LibreOffice:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.fail("LibreOffice (soffice) is required; scripts/system-packages.sh installs it")
    return LibreOffice(binary, tmp_path_factory.mktemp("lo-profiles"))


# --- markers -------------------------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: before `-m` deselects, so `-m "not libreoffice"` sees these markers.
    for item in items:
        for fixture, marker in MARKER_VAN_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


_huidige_test: list[pytest.Item] = []  # the test being set up, run or torn down (none during collection)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    _huidige_test.append(item)
    try:
        return (yield)
    finally:
        _huidige_test.pop()


def _is_kindproces(args) -> bool:
    if isinstance(args, (str, bytes, os.PathLike)):
        args = [args]
    eerste = os.fsdecode(args[0]) if args else ""
    if os.path.realpath(eerste) == os.path.realpath(sys.executable):
        return True
    return any(naam in Path(eerste).name.lower() for naam in KINDPROCES_NAMEN)


_execute_child = subprocess.Popen._execute_child


def _bewaakt_execute_child(self, args, executable, *rest, **kwargs):
    if _huidige_test and _is_kindproces([executable] if executable else args):
        item = _huidige_test[-1]
        if not any(item.get_closest_marker(m) for m in KINDPROCES_MARKERS):
            # Failed is a BaseException: an `except Exception` in the test does not hide it.
            pytest.fail(f"{item.nodeid} starts a child process ({args!r}) but is not marked: add "
                        "@pytest.mark.subprocess (or use the libreoffice/chromium fixture)", pytrace=False)
    return _execute_child(self, args, executable, *rest, **kwargs)


subprocess.Popen._execute_child = _bewaakt_execute_child
