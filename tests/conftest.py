"""Shared fixtures: LibreOffice headless for opening and recalculating generated workbooks."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

# Graph/token stub fixtures (graph_stub, graph_verbinding); loopback SMTP (certificaat, smtp_server).
pytest_plugins = ["graphstub.plugin", "mailserver"]


class LibreOffice:
    """Runs `soffice --headless` with a private profile (parallel runs must not share one)."""

    def __init__(self, binary: str, profiles: Path) -> None:
        self.binary = binary
        self.profiles = profiles

    def convert(self, source: Path, target_format: str, outdir: Path, timeout: int = 180) -> Path:
        """Convert `source` (e.g. to "csv:..." or "xlsx" or "pdf"); formulas are recalculated."""
        outdir.mkdir(parents=True, exist_ok=True)
        profile = self.profiles / uuid.uuid4().hex
        cmd = [
            self.binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
            "--convert-to", target_format, "--outdir", str(outdir), str(source),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        # A per-sheet CSV export names its files "<stem>-<sheet>.csv", not "<stem>.csv".
        produced = sorted([*outdir.glob(source.stem + ".*"), *outdir.glob(source.stem + "-*.csv")],
                          key=lambda p: p.stat().st_mtime)
        if result.returncode != 0 or not produced:
            raise AssertionError(f"LibreOffice failed on {source}: {result.stdout}\n{result.stderr}")
        return produced[-1]

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
