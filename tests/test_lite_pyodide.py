"""The template's embedded xlwings Lite code in real Pyodide under Node, offline.

tests/test_lite.py runs the embedded `main.py` in CPython; this runs it where Lite runs it: the
npm `pyodide` package under Node (the version xlwings Lite ships and the newest), with micropip
installing whatever the template's `requirements.txt` lists from a wheel folder served on
127.0.0.1 (scripts/pyodide.sh installs both from the registries; the runner refuses every other
fetch). The scripts are called the way the open xlwings Wasm runtime calls them: the book payload
of the Office.js client becomes `xw.Book(json=...)`, the @script function gets it, and the
recorded actions are what Excel would get. On every example fiche and on fiches with errors,
those actions must be the ones the add-in records in CPython, and the Controle sheet must say
what `pmiek validate --json` says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import pyodide_lite  # noqa: E402
import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
from test_addin import foute_fiche  # noqa: E402

import addin  # noqa: E402
from addin import controle  # noqa: E402
from addin.lite import lees_lite_code  # noqa: E402
from addin.payload import payload_uit_bestand  # noqa: E402
from fiche.template import write_fiche  # noqa: E402

pytestmark = [pytest.mark.subprocess, pytest.mark.pyodide]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "workbook_templates" / "pmiek-fiche-concreet.xlsx"
EXAMPLES = ROOT / "workbook_templates" / "examples"
VOORBEELDEN = sorted(EXAMPLES.glob("*.xlsx"))
PEILDATUM = tomllib.loads((EXAMPLES / "projecten.toml").read_text(encoding="utf-8"))["voorbeeld"]["peildatum"]
HELP_TEKST = "Vul de gele cellen"


@pytest.fixture(autouse=True)
def _remote_licence(monkeypatch):
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")


def foute_fiches(map_: Path) -> list[Path]:
    """Two fiches with errors: wrong fields and milestones, and one with nothing filled in."""
    return [foute_fiche(map_, "fout-velden.xlsx", "Pyodide met fouten"),
            write_fiche(map_ / "fout-leeg.xlsx", "concreet", {"projectnaam": "Pyodide leeg"})]


def verschillen(acties: list[dict], cli_fiche: dict) -> list[str]:
    """Where the Controle sheet in `acties` departs from the CLI's verdict on the same fiche."""
    schrijven = [a for a in acties if a["func"] == "setValues"]
    if len(schrijven) != 1:
        return [f"expected one Controle value write, got {len(schrijven)}"]
    rijen = schrijven[0]["values"]
    uit = []
    if rijen[2][1] != cli_fiche["status"]:
        uit.append(f"status {rijen[2][1]!r} != {cli_fiche['status']!r}")
    gekregen = sorted((r[0], r[2].lstrip("'"), r[3]) for r in rijen[controle.KOPRIJ:])
    verwacht = sorted((controle.ERNST_LABEL[f["severity"]], f["message"], controle.link(f["cell"]))
                      for f in cli_fiche["findings"])
    uit += [f"only in Pyodide: {r}" for r in gekregen if r not in verwacht]
    uit += [f"only in the CLI: {r}" for r in verwacht if r not in gekregen]
    return uit


@pytest.fixture(scope="module")
def fiches(tmp_path_factory) -> list[Path]:
    assert len(VOORBEELDEN) == 11
    return VOORBEELDEN + foute_fiches(tmp_path_factory.mktemp("fout"))


@pytest.fixture(scope="module")
def payloads(fiches, tmp_path_factory) -> list[Path]:
    map_ = tmp_path_factory.mktemp("payloads")
    uit = []
    for p in fiches:
        doel = map_ / (p.stem + ".json")
        doel.write_text(json.dumps(payload_uit_bestand(p)), encoding="utf-8")
        uit.append(doel)
    return uit


@pytest.fixture(scope="module")
def cli(fiches) -> dict[str, dict]:
    res = subprocess.run(
        [sys.executable, "-m", "pmiek.cli", "validate", "--json", "--as-of", PEILDATUM.isoformat(), *map(str, fiches)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert res.returncode in (0, 1), res.stderr
    return {Path(f["path"]).stem: f for f in json.loads(res.stdout)["files"]}


def _cpython_acties(payload: Path) -> list[dict]:
    """The add-in's actions in-process on CPython's xlwings remote engine."""
    book = xw.Book(json=json.loads(payload.read_text(encoding="utf-8")))
    addin.validate(book, vandaag=PEILDATUM)
    return book.json()["actions"]


# One test per version, so one Node process per version runs all fiches (also under xdist, where
# the tests of one module-scoped fixture could land on two workers).
@pytest.mark.parametrize("versie", pyodide_lite.VERSIES)
def test_lite_code_in_pyodide_gives_the_cli_findings(versie, fiches, payloads, cli, tmp_path):
    # Missing is a failure, like a missing LibreOffice: a skip would hide that Lite went untested.
    if not pyodide_lite.aanwezig(versie):
        pytest.fail(f"Pyodide {versie} is not installed: run `bash scripts/pyodide.sh` (scripts/test.sh does)")
    code = lees_lite_code(TEMPLATE)
    vreemd = _vreemd_werkboek(tmp_path)
    calls = [("valideer_fiche", p) for p in payloads] + [("help_pmiek", payloads[0]), ("valideer_fiche", vreemd)]
    run = pyodide_lite.draai(versie, tmp_path, code, PEILDATUM.isoformat(), calls)

    # The requested runtime, with every package of the template's requirements.txt installed.
    assert run["versions"]["pyodide"] == versie
    geinstalleerd = {_canoniek(r.split("==")[0]) for r in run["versions"]["installed"]}
    for regel in code["requirements.txt"].splitlines():
        if regel.strip() and not regel.startswith("#"):
            assert _canoniek(re.split(r"[<>=!~ ;\[]", regel.strip())[0]) in geinstalleerd, regel

    resultaten = run["results"]
    assert len(resultaten) == len(fiches) + 2
    for p, payload, uit in zip(fiches, payloads, resultaten):
        assert "error" not in uit, (p.stem, uit.get("error"))
        assert verschillen(uit["actions"], cli[p.stem]) == [], p.stem
        # The very same actions as the add-in run in-process on CPython's remote engine.
        assert uit["actions"] == _cpython_acties(payload), p.stem
    # The faulty fiches did report errors (so the comparison covered findings, not just "ok").
    for p in fiches[len(VOORBEELDEN):]:
        assert any(f["severity"] == "error" for f in cli[p.stem]["findings"]), p.stem

    # What a user must read is in the workbook, not only in an alert some runtimes do not show.
    help_uit, weigering = resultaten[-2], resultaten[-1]
    assert "error" not in help_uit, help_uit.get("error")
    assert HELP_TEKST in json.dumps(help_uit["actions"], ensure_ascii=False)
    assert controle.KOP_HELP in _controle_teksten(help_uit["actions"])
    assert "error" not in weigering, weigering.get("error")
    teksten = _controle_teksten(weigering["actions"])
    assert controle.KOP_WEIGERING in teksten and "pMIEK-fiche" in teksten, teksten


def test_a_wrong_expectation_fails(fiches, payloads, cli):
    # The comparison is not vacuous: a changed status, a dropped and a changed finding all show.
    i = len(VOORBEELDEN)
    acties, juist = _cpython_acties(payloads[i]), cli[fiches[i].stem]
    assert verschillen(acties, juist) == []
    verwacht = json.loads(json.dumps(juist))
    verwacht["status"] += " (anders)"
    assert any(v.startswith("status") for v in verschillen(acties, verwacht))
    verwacht = json.loads(json.dumps(juist))
    verwacht["findings"].pop()
    assert any(v.startswith("only in Pyodide") for v in verschillen(acties, verwacht))
    verwacht = json.loads(json.dumps(juist))
    verwacht["findings"][0]["message"] += " (anders)"
    assert len(verschillen(acties, verwacht)) == 2
    assert verschillen([], juist) == ["expected one Controle value write, got 0"]


def _vreemd_werkboek(map_: Path) -> Path:
    """The payload of a workbook that is no fiche (a partner's own sheet)."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.title = "Begroting"
    wb.active["A1"] = "Kosten 2027"
    pad = map_ / "begroting.xlsx"
    wb.save(pad)
    doel = map_ / "begroting.json"
    doel.write_text(json.dumps(payload_uit_bestand(pad)), encoding="utf-8")
    return doel


def _controle_teksten(acties: list[dict]) -> str:
    """Every text the actions write with setValues (the Controle sheet's content), as one string."""
    return json.dumps([a["values"] for a in acties if a["func"] == "setValues"], ensure_ascii=False)


def _canoniek(naam: str) -> str:
    return re.sub(r"[-_.]+", "-", naam).lower()
