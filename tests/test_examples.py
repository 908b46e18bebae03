"""The example fiches (demo data): current with their data file, the seed's 11 projects, every
stoplicht among them, all valid, and Excel's own formulas agreeing with the validator."""

from __future__ import annotations

import importlib.util
import re
import tomllib
import zipfile
from pathlib import Path

import pytest

from fiche.reader import lees_fiche
from fiche.stoplicht import Stoplicht
from fiche.validatie import valideer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "workbook_templates" / "examples"
DATA = EXAMPLES / "projecten.toml"

_spec = importlib.util.spec_from_file_location("build_examples", ROOT / "scripts" / "build_examples.py")
build_examples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_examples)

#: pMIEK 2.0 projects of the Uitvoeringsagenda (section 2.2): name -> (type, gemeente, uitvoerende organisatie).
SEED_CONCREET = {
    "Deelnet Emmen (verkenning nieuwbouw station Emmen Noord 110/20 kV)": ("Elektriciteit", "Emmen", "Enexis / TenneT"),
    "Deelnet Emmen (verkenning nieuwbouw station omgeving Emmen Bargermeer 110/20 kV)":
        ("Elektriciteit", "Emmen", "Enexis / TenneT"),
    "Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)": ("Elektriciteit", "Assen", "Enexis"),
    "Aftakking waterstofbackbone Emmen": ("Waterstof", "Emmen", "Gasunie"),
}
SEED_VERKENNING = {
    "Onderzoek lokale elektrolyse": "Wat kan de rol zijn van lokale elektrolyse in het Drentse energiesysteem?",
    "Waterstof in Hoogeveen": "financiële garantstelling",
    "Waterstof in Meppel": "Welke technische route is het meest haalbaar",
    "Waterstof in Coevorden": "Wat is de waterstofbehoefte van bedrijven in Coevorden?",
    "Vergroten productie groen gas": "Waar zit de potentie, clustering van locaties?",
    "Toepassing restwarmte Attero": "betrouwbare en betaalbare warmte",
    "Onderzoek oprichten regionaal warmtebedrijf": "Welke vorm (organisatie, juridisch)",
}

_TIMESTAMP = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


def _vandaag():
    with DATA.open("rb") as fh:
        return tomllib.load(fh)["voorbeeld"]["peildatum"]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: _TIMESTAMP.sub(b"", zf.read(name)) for name in zf.namelist()}


@pytest.fixture(scope="module")
def beoordelingen():
    vandaag = _vandaag()
    result = {}
    for path in sorted(EXAMPLES.glob("*.xlsx")):
        data = lees_fiche(path)
        result[path.name] = (data, valideer(data, vandaag, data.nabij_maanden))
    return result


def test_committed_examples_are_current(tmp_path):
    built = build_examples.build(out=tmp_path)
    committed = sorted(p.name for p in EXAMPLES.glob("*.xlsx"))
    assert sorted(p.name for p in built) == committed, "examples and projecten.toml disagree on the file list"
    for path in built:
        fresh, old = _parts(path), _parts(EXAMPLES / path.name)
        assert fresh.keys() == old.keys(), path.name
        stale = [name for name in fresh if fresh[name] != old[name]]
        assert not stale, (f"{path.name} is out of date in {stale}; "
                           "run `python scripts/build_examples.py` and commit the result")


def test_build_is_deterministic(tmp_path):
    first = build_examples.build(out=tmp_path / "a")
    second = build_examples.build(out=tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_the_eleven_seed_projects(beoordelingen):
    by_name = {b.project: (data, b) for data, b in beoordelingen.values()}
    assert set(by_name) == set(SEED_CONCREET) | set(SEED_VERKENNING)
    assert len(beoordelingen) == 11
    for name, (drager, gemeente, uitvoerder) in SEED_CONCREET.items():
        data, b = by_name[name]
        assert b.fiche_type == "concreet"
        assert (data.velden["drager"], data.velden["gemeente"], data.velden["uitvoerende_organisatie"]) == \
            (drager, gemeente, uitvoerder)
    for name, vraag in SEED_VERKENNING.items():
        data, b = by_name[name]
        assert b.fiche_type == "verkenning"
        assert vraag in data.velden["onderzoeksvraag"]
    # Province-wide verkenningen are not pinned to one gemeente.
    for name in ("Onderzoek lokale elektrolyse", "Vergroten productie groen gas",
                 "Toepassing restwarmte Attero", "Onderzoek oprichten regionaal warmtebedrijf"):
        assert by_name[name][0].velden["gemeente"] == "Meerdere gemeenten"


def test_examples_are_marked_and_people_are_fake(beoordelingen):
    for name, (data, _) in beoordelingen.items():
        assert "Voorbeelddata" in data.velden["toelichting"], name
        for rij in data.tabellen["projectteam"]:
            email = rij.waarden["email"]
            assert re.search(r"@([a-z0-9-]+\.)*example\.(org|nl)$", email), (name, email)


def test_all_valid_and_every_stoplicht_shown(beoordelingen):
    errors = {name: [(f.code, f.melding) for f in b.fouten] for name, (_, b) in beoordelingen.items() if b.fouten}
    assert not errors
    assert {b.stoplicht for _, b in beoordelingen.values()} == set(Stoplicht)
    # The demo also shows what a warning looks like.
    assert any(b.waarschuwingen for _, b in beoordelingen.values())
    milestone_lights = {m.stoplicht for _, b in beoordelingen.values() for m in b.mijlpalen}
    assert {Stoplicht.OP_PLANNING, Stoplicht.RISICO, Stoplicht.VERTRAAGD, Stoplicht.ONBEKEND} <= milestone_lights


def test_history_gives_four_quarters_of_valid_versions_with_other_lights():
    """The demo's earlier quarters: each version valid on its own peildatum, one per quarter
    before the examples', and the lights differ from today's (so the demo shows change)."""
    from fiche.datums import kwartaal
    from fiche.template import write_fiche
    from pmiek.commands.demo import demo_peildatum, historie

    doc = build_examples.load()
    kwartalen = [kwartaal(d) for d, _ in historie(doc)] + [kwartaal(demo_peildatum(doc))]
    assert len(set(kwartalen)) == len(kwartalen) >= 4
    nu = {e["bestand"]: e for e in doc["fiche"]}
    lichten: dict[str, list] = {}
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for peildatum, entries in historie(doc):
            for entry in entries:
                pad = write_fiche(Path(tmp) / f"{entry['bestand']}.xlsx", entry["fiche_type"], entry["velden"],
                                  entry.get("tabellen", {}))
                data = lees_fiche(pad)
                b = valideer(data, peildatum, data.nabij_maanden)
                assert not b.fouten, (peildatum, entry["bestand"], [(f.code, f.melding) for f in b.fouten])
                lichten.setdefault(entry["bestand"], []).append(b.stoplicht)
    assert set(nu) - set(lichten)  # a project that is new in the examples' quarter
    veranderd = [naam for naam, ls in lichten.items() if len(set(ls)) > 1]
    assert len(veranderd) >= 4


def test_data_file_is_checked_against_the_schema(tmp_path):
    text = DATA.read_text(encoding="utf-8")
    bad_choice = tmp_path / "bad_choice.toml"
    bad_choice.write_text(text.replace('drager = "Waterstof"', 'drager = "Kernfusie"', 1), encoding="utf-8")
    with pytest.raises(build_examples.DataFout, match="Kernfusie"):
        build_examples.load(bad_choice)
    bad_key = tmp_path / "bad_key.toml"
    bad_key.write_text(text.replace("ibn_prognose =", "ibn_prognoze =", 1), encoding="utf-8")
    with pytest.raises(build_examples.DataFout, match="ibn_prognoze"):
        build_examples.load(bad_key)
    wrong_type = tmp_path / "wrong_type.toml"
    wrong_type.write_text(text.replace("ibn_ondergrens = 2031-01-01", 'ibn_ondergrens = "2031"', 1), encoding="utf-8")
    with pytest.raises(build_examples.DataFout, match="ibn_ondergrens: expected a TOML date"):
        build_examples.load(wrong_type)
    bad_history = tmp_path / "bad_history.toml"
    bad_history.write_text(text.replace("oplevering_prognose = 2027-03-31\n", "oplevering_prognoze = 2027-03-31\n", 1),
                           encoding="utf-8")
    with pytest.raises(build_examples.DataFout, match="oplevering_prognoze"):
        build_examples.load(bad_history)


@pytest.mark.libreoffice
def test_excel_formulas_show_the_same_lights(libreoffice, tmp_path, beoordelingen):
    """Recalculated by LibreOffice, each example's own stoplicht formulas (project and every
    milestone row) give the validator's lights: what a team sees in plain Excel is what we report."""
    from python_calamine import CalamineWorkbook

    # One LibreOffice start recalculates all examples.
    herberekend = libreoffice.convert_many([EXAMPLES / name for name in beoordelingen], "xlsx", tmp_path / "lo")
    for name, (data, b) in beoordelingen.items():
        recalculated = herberekend[EXAMPLES / name]
        wb = CalamineWorkbook.from_path(str(recalculated))

        def value(address: str):
            sheet, cell = address.replace("$", "").split("!")
            col_letters = "".join(ch for ch in cell if ch.isalpha())
            col = 0
            for ch in col_letters:
                col = col * 26 + ord(ch.upper()) - ord("A") + 1
            row = int("".join(ch for ch in cell if ch.isdigit()))
            grid = wb.get_sheet_by_name(sheet.strip("'")).to_python(skip_empty_area=False)
            return grid[row - 1][col - 1]

        assert value(data.stoplicht_cel) == b.stoplicht.value, name
        for m in b.mijlpalen:
            assert value(m.cel) == m.berekend.value, (name, m.mijlpaal)


def test_unknown_window_is_onbekend_for_a_verkenning_but_an_error_for_a_concrete_project(tmp_path, beoordelingen):
    # Coevorden's verkenning has no oplevering window yet: Onbekend, a warning, still valid.
    _, coevorden = beoordelingen["08-waterstof-coevorden.xlsx"]
    assert coevorden.stoplicht is Stoplicht.ONBEKEND and coevorden.geldig
    assert [b.veld for b in coevorden.waarschuwingen if b.code == "venster_onbekend"] == ["oplevering_ondergrens"]
    # A concrete project always needs its IBN prognose.
    entry = next(f for f in build_examples.load()["fiche"] if f["fiche_type"] == "concreet")
    velden = {k: v for k, v in entry["velden"].items() if k != "ibn_prognose"}
    path = build_examples.write_fiche(tmp_path / "zonder-prognose.xlsx", "concreet", velden, entry["tabellen"])
    data = lees_fiche(path)
    b = valideer(data, _vandaag(), data.nabij_maanden)
    assert b.stoplicht is Stoplicht.ONBEKEND and not b.geldig
    assert [(f.code, f.veld) for f in b.fouten] == [("prognose_ontbreekt", "ibn_prognose")]


@pytest.mark.subprocess
def test_pmiek_validate_on_the_examples():
    """The README's main job, as the console command: exit 0, no errors, all five stoplichten."""
    import json
    import subprocess
    import sys

    files = sorted(str(p) for p in EXAMPLES.glob("*.xlsx"))
    run = subprocess.run(
        [sys.executable, "-m", "pmiek.cli", "validate", "--json", "--as-of", _vandaag().isoformat(), *files],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert len(report["files"]) == 11
    assert not [f for r in report["files"] for f in r["findings"] if f["severity"] == "error"]
    assert {r["status"] for r in report["files"]} == {s.value for s in Stoplicht}


@pytest.mark.subprocess
def test_benchmark_runs_on_an_example():
    """bench/bench_validate.py (the README's speed figures) still runs; its timings are not checked here."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_validate.py"), "--n", "3"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "project stoplicht: Risico op vertraging" in run.stdout
    for label in ("pmiek lees_fiche + valideer", "openpyxl.load_workbook (baseline)", "python-calamine alone"):
        assert re.search(rf"^{re.escape(label)}.*\d+\.\d+x\s+\d+\.\d+$", run.stdout, re.M), (label, run.stdout)


def test_examples_stay_valid_when_read_later(beoordelingen):
    """The demo runs on the real clock too: years later the fiches gather warnings (stale peildatum,
    prognoses passed) but no errors, and their project lights do not change."""
    import datetime as dt

    for name, (data, op_peildatum) in beoordelingen.items():
        later = valideer(data, dt.date(2031, 1, 1), data.nabij_maanden)
        assert later.geldig, (name, [(f.code, f.melding) for f in later.fouten])
        assert later.stoplicht is op_peildatum.stoplicht, name
