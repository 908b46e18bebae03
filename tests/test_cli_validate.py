"""`pmiek validate` through `pmiek.cli.main` and through the installed console script."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from fiche.kleurplan import FOUT_KLEUR, INVOER_KLEUR, WAARSCHUWING_KLEUR
from fiche.reader import lees_fiche, splits_verwijzing
from fiche.stoplicht import Stoplicht
from pmiek.cli import main
from test_validatie import GEVALLEN, maak, tabellen_ok, velden_concreet

PEIL = ["--as-of", "1-11-2026"]


@pytest.fixture
def goed(tmp_path) -> Path:
    return maak(tmp_path / "goed.xlsx")


@pytest.fixture
def fout(tmp_path) -> Path:
    """Errors (missing gemeente, bad e-mail) and a red project without knelpunt (a warning)."""
    team = [{"naam": "Anna", "organisatie": "Provincie", "rol": "Voorzitter", "email": "anna(at)drenthe"}]
    return maak(tmp_path / "fout.xlsx", velden=velden_concreet(gemeente=None, ibn_prognose=dt.date(2034, 6, 1)),
                tabellen=tabellen_ok(projectteam=team))


@pytest.fixture
def waarschuwing(tmp_path) -> Path:
    return GEVALLEN["knelpunt_zonder_oplossing"](tmp_path / "waarschuwing.xlsx")


@pytest.fixture
def kapot(tmp_path) -> Path:
    pad = tmp_path / "kapot.xlsx"
    pad.write_bytes(b"dit is geen werkmap")
    return pad


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_fiche_exit_0_and_dutch_report(capsys, goed):
    code, out, _ = run(capsys, str(goed), *PEIL)
    assert code == 0
    assert f"Bestand: {goed}" in out
    assert "Project:   Nieuwbouw station Emmen Noord 110/20 kV" in out
    assert "Type:      concreet" in out
    assert "Stoplicht: Op planning" in out
    assert "Geen bevindingen" in out


def test_errors_exit_1_with_cell_and_message(capsys, fout):
    code, out, _ = run(capsys, str(fout), *PEIL)
    assert code == 1
    assert "Stoplicht: Vertraagd" in out
    cel_gemeente = lees_fiche(fout).cellen["gemeente"]
    regel = next(r for r in out.splitlines() if "[verplicht]" in r)
    assert regel.split()[0] == "FOUT" and cel_gemeente in regel and "Gemeente is verplicht" in regel
    assert any(r.split()[0] == "WAARSCHUWING" and "[knelpunt_ontbreekt]" in r for r in out.splitlines())
    assert "2 fouten, 1 waarschuwing:" in out  # verplicht, email_ongeldig; knelpunt_ontbreekt


def test_warnings_only_exit_0(capsys, waarschuwing):
    code, out, _ = run(capsys, str(waarschuwing), *PEIL)
    assert code == 0
    assert "0 fouten, 1 waarschuwing:" in out


def test_unreadable_file_exit_2_and_others_still_reported(capsys, goed, kapot):
    code, out, err = run(capsys, str(goed), str(kapot), *PEIL)
    assert code == 2
    assert "Niet te lezen: Dit is een tekstbestand, geen Excel-werkmap" in out  # named from its bytes
    assert "Stoplicht: Op planning" in out
    assert "2 bestanden: 1 zonder fouten, 0 met fouten, 1 niet te lezen." in out
    assert "Traceback" not in out + err


def test_json_shape(capsys, goed, fout, kapot):
    code, out, _ = run(capsys, "--json", str(goed), str(fout), str(kapot), *PEIL)
    assert code == 2
    doc = json.loads(out)
    assert list(doc) == ["files"]
    bestanden = doc["files"]
    assert [f["path"] for f in bestanden] == [str(goed), str(fout), str(kapot)]
    for f in bestanden:
        assert set(f) == {"path", "fiche_type", "project", "status", "findings"}
        for x in f["findings"]:
            assert set(x) == {"severity", "code", "field", "cell", "message"}
            assert x["severity"] in ("error", "warning")
    assert bestanden[0] == {"path": str(goed), "fiche_type": "concreet",
                            "project": "Nieuwbouw station Emmen Noord 110/20 kV", "status": "Op planning",
                            "findings": []}
    assert bestanden[1]["status"] == "Vertraagd"
    gemeente = next(x for x in bestanden[1]["findings"] if x["code"] == "verplicht")
    assert gemeente == {"severity": "error", "code": "verplicht", "field": "gemeente",
                        "cell": lees_fiche(fout).cellen["gemeente"], "message": "Gemeente is verplicht; vul dit veld in."}
    assert bestanden[2] == {"path": str(kapot), "fiche_type": None, "project": None, "status": "Onbekend",
                            "findings": [{"severity": "error", "code": "geen_zip", "field": None, "cell": None,
                                          "message": bestanden[2]["findings"][0]["message"]}]}
    assert "Excel-werkmap" in bestanden[2]["findings"][0]["message"]


def test_json_exit_codes(capsys, goed, fout):
    assert run(capsys, "--json", str(goed), *PEIL)[0] == 0
    assert run(capsys, "--json", str(goed), str(fout), *PEIL)[0] == 1


def test_status_labels_in_json(capsys, tmp_path):
    velden = {
        "Op planning": velden_concreet(),
        "Risico op vertraging": velden_concreet(ibn_prognose=dt.date(2032, 1, 1)),
        "Vertraagd": velden_concreet(ibn_prognose=dt.date(2035, 1, 1)),
        "Onbekend": velden_concreet(ibn_prognose=None),
        "Gerealiseerd": velden_concreet(ibn_gerealiseerd=dt.date(2026, 10, 1)),
    }
    paden = [str(maak(tmp_path / f"{i}.xlsx", velden=v)) for i, v in enumerate(velden.values())]
    _, out, _ = run(capsys, "--json", *paden, *PEIL)
    assert [f["status"] for f in json.loads(out)["files"]] == list(velden)
    assert list(velden) == [s.label for s in Stoplicht]


def test_peildatum_freezes_today(capsys, goed):
    # The goed fiche's peildatum is 1-10-2026: on 1-9-2026 it lies in the future.
    code, out, _ = run(capsys, "--json", str(goed), "--as-of", "1 september 2026")
    assert code == 1
    assert "peildatum_toekomst" in [x["code"] for x in json.loads(out)["files"][0]["findings"]]


def test_bad_peildatum_is_a_usage_error(capsys, goed):
    code, out, err = run(capsys, str(goed), "--as-of", "gisteren")
    assert code == 2
    assert "--as-of" in err and "'gisteren' is geen datum" in err
    assert "Traceback" not in err


def test_no_files_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2


def test_missing_file_exit_2(capsys, tmp_path):
    code, out, _ = run(capsys, str(tmp_path / "weg.xlsx"), *PEIL)
    assert code == 2
    assert "bestaat niet" in out


# --- the coloured copy ----------------------------------------------------------------------------

def _fill(pad: Path, adres: str) -> str:
    sheet, cel = splits_verwijzing(adres)
    wb = openpyxl.load_workbook(pad)  # reading the copy to check it; nothing is saved
    kleur = wb[sheet][cel].fill.fgColor.rgb
    return str(kleur)[-6:]


def test_colour_copy_of_one_file(capsys, fout, tmp_path):
    voor = fout.read_bytes()
    doel = tmp_path / "uit" / "gekleurd.xlsx"
    code, out, _ = run(capsys, str(fout), "--colour", str(doel), *PEIL)
    assert code == 1
    assert fout.read_bytes() == voor
    assert f"Gekleurde kopie: {doel}" in out
    data = lees_fiche(fout)
    assert _fill(doel, data.cellen["gemeente"]) == FOUT_KLEUR
    assert _fill(doel, data.stoplicht_cel) == Stoplicht.VERTRAAGD.kleur
    email = data.tabellen["projectteam"][0].cellen["email"]
    assert _fill(doel, email) == FOUT_KLEUR
    mijlpaal_cel = data.tabellen["mijlpalen"][1].cellen["stoplicht"]
    assert _fill(doel, mijlpaal_cel) == Stoplicht.OP_PLANNING.kleur
    assert _fill(doel, data.cellen["projectnaam"]) not in (FOUT_KLEUR, WAARSCHUWING_KLEUR)
    # The copy is still the same fiche.
    kopie = lees_fiche(doel)
    assert kopie.velden == data.velden and kopie.cellen == data.cellen


def test_colour_copy_clears_the_marks_of_an_earlier_run_as_the_add_in_does(capsys, goed, tmp_path):
    # A fiche that was marked before (by the add-in, or an earlier copy) and has since been fixed.
    data = lees_fiche(goed)
    wb = openpyxl.load_workbook(goed)  # our own test file: re-saving it with openpyxl is fine here
    rood = PatternFill("solid", start_color=FOUT_KLEUR, end_color=FOUT_KLEUR)
    for adres in (data.cellen["gemeente"], data.tabellen["projectteam"][0].cellen["email"]):
        sheet, cel = splits_verwijzing(adres)
        wb[sheet][cel].fill = rood
    gemarkeerd = tmp_path / "gemarkeerd.xlsx"
    wb.save(gemarkeerd)
    doel = tmp_path / "kopie.xlsx"
    assert run(capsys, str(gemarkeerd), "--colour", str(doel), *PEIL)[0] == 0
    assert _fill(doel, data.cellen["gemeente"]) == INVOER_KLEUR
    email = openpyxl.load_workbook(doel)[splits_verwijzing(data.tabellen["projectteam"][0].cellen["email"])[0]]
    assert email[splits_verwijzing(data.tabellen["projectteam"][0].cellen["email"])[1]].fill.fill_type is None
    assert _fill(doel, data.stoplicht_cel) == Stoplicht.OP_PLANNING.kleur


def test_colour_copy_of_a_clean_fiche_changes_only_the_stoplicht_cells(capsys, goed, tmp_path):
    doel = tmp_path / "kopie.xlsx"
    assert run(capsys, str(goed), "--colour", str(doel), *PEIL)[0] == 0
    voor, na = openpyxl.load_workbook(goed), openpyxl.load_workbook(doel)
    data = lees_fiche(goed)
    lichten = {splits_verwijzing(data.stoplicht_cel)} | {
        splits_verwijzing(r.cellen["stoplicht"]) for r in data.tabellen["mijlpalen"]}
    def vulling(cel):
        return cel.fill.fill_type, str(cel.fill.fgColor.rgb)

    anders = {(ws.title, c.coordinate) for ws in voor for row in ws.iter_rows() for c in row
              if vulling(c) != vulling(na[ws.title][c.coordinate])}
    assert anders and anders <= lichten


def _herschrijf(bron: Path, doel: Path, wijzig) -> Path:
    with zipfile.ZipFile(bron) as zin, zipfile.ZipFile(doel, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = wijzig(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
    return doel


def test_colour_copy_of_rows_without_numbers_keeps_every_value(capsys, fout, tmp_path):
    # <row> and <c> may leave out r (they then follow the previous one); the copy must not
    # get a second row 28 next to the implicit one.
    import re as _re
    zonder = _herschrijf(fout, tmp_path / "zonder-r.xlsx", lambda naam, data: (
        _re.sub(rb'(<row[^>]*?) r="\d+"', rb"\1", _re.sub(rb'(<c[^>]*?) r="[A-Z]+\d+"', rb"\1", data))
        if naam == "xl/worksheets/sheet1.xml" else data))
    doel = tmp_path / "uit.xlsx"
    code, _, _ = run(capsys, str(zonder), "--colour", str(doel), *PEIL)
    assert code == 1
    data = lees_fiche(zonder)
    kopie = lees_fiche(doel)
    assert kopie.velden == data.velden and data.velden["projectnaam"]
    assert _fill(doel, data.cellen["gemeente"]) == FOUT_KLEUR


@pytest.mark.parametrize("soort", ["zonder_fills", "zonder_styles"])
def test_colour_copy_of_a_workbook_with_odd_styles_is_a_dutch_error(capsys, fout, tmp_path, soort):
    import re as _re

    def wijzig(naam, data):
        if naam != "xl/styles.xml":
            return data
        return None if soort == "zonder_styles" else _re.sub(rb"<fills.*?</fills>", b"", data, flags=_re.S)
    vreemd = _herschrijf(fout, tmp_path / f"{soort}.xlsx", wijzig)
    doel = tmp_path / "uit.xlsx"
    code, out, err = run(capsys, str(vreemd), "--colour", str(doel), *PEIL)
    assert code == 2 and "geen gekleurde kopie" in err and "Traceback" not in err
    assert "Gemeente" in out  # the verdict itself is still reported
    assert not doel.exists()


def test_colour_target_ending_in_a_slash_is_a_folder(capsys, goed, tmp_path):
    code, _, _ = run(capsys, str(goed), "--colour", str(tmp_path / "nieuw") + "/", *PEIL)
    assert code == 0
    assert (tmp_path / "nieuw").is_dir() and (tmp_path / "nieuw" / f"{goed.stem}-gekleurd.xlsx").is_file()


def test_colour_copy_keeps_every_other_part_byte_for_byte(capsys, waarschuwing, tmp_path):
    extra = tmp_path / "met-extra.xlsx"
    with zipfile.ZipFile(waarschuwing) as zin, zipfile.ZipFile(extra, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + os.urandom(200))
        zout.writestr("xl/webextensions/webextension1.xml", b"<we:webextension xmlns:we='x'/>")
    doel = tmp_path / "kopie.xlsx"
    assert run(capsys, str(extra), "--colour", str(doel), *PEIL)[0] == 0
    with zipfile.ZipFile(extra) as a, zipfile.ZipFile(doel) as b:
        assert a.namelist() == b.namelist()
        gewijzigd = {n for n in a.namelist() if a.read(n) != b.read(n)}
    assert "xl/styles.xml" in gewijzigd
    assert gewijzigd <= {"xl/styles.xml"} | {n for n in a.namelist() if n.startswith("xl/worksheets/sheet")}
    data = lees_fiche(extra)
    assert _fill(doel, data.tabellen["knelpunten"][0].cellen["oplossing"]) == WAARSCHUWING_KLEUR


def test_colour_several_files_into_a_directory(capsys, goed, fout, kapot, tmp_path):
    uit = tmp_path / "gekleurd"
    code, _, _ = run(capsys, str(goed), str(fout), str(kapot), "--colour", str(uit), *PEIL)
    assert code == 2
    assert sorted(p.name for p in uit.iterdir()) == ["fout-gekleurd.xlsx", "goed-gekleurd.xlsx"]


def test_colour_refuses_to_overwrite_an_input(capsys, goed, fout):
    voor = goed.read_bytes()
    code, out, err = run(capsys, str(goed), "--colour", str(goed), *PEIL)
    assert code == 2
    assert "nooit overschreven" in err
    assert goed.read_bytes() == voor
    # Several inputs and the directory they live in: targets get their own names, inputs stay.
    code, _, _ = run(capsys, str(goed), str(fout), "--colour", str(goed.parent), *PEIL)
    assert code == 1
    assert goed.read_bytes() == voor
    assert (goed.parent / "goed-gekleurd.xlsx").exists()


def test_colour_to_a_file_with_several_inputs_is_a_usage_error(capsys, goed, fout, tmp_path):
    bestaand = tmp_path / "bestaat.xlsx"
    bestaand.write_bytes(b"x")
    code, _, err = run(capsys, str(goed), str(fout), "--colour", str(bestaand), *PEIL)
    assert code == 2 and "map" in err


def test_unwritable_colour_target_is_a_dutch_error_not_a_traceback(capsys, goed, fout, tmp_path):
    blokkade = tmp_path / "bestand.txt"
    blokkade.write_text("geen map")
    code, out, err = run(capsys, str(goed), "--colour", str(blokkade / "kopie.xlsx"), *PEIL)
    assert code == 2
    assert "kan niet worden geschreven" in err and "Traceback" not in err
    assert "Stoplicht: Op planning" in out  # the report itself is still there
    code, _, err = run(capsys, str(goed), str(fout), "--colour", str(blokkade / "map"), *PEIL)
    assert code == 2 and err.count("kan niet worden geschreven") == 2


@pytest.mark.libreoffice
def test_coloured_copy_opens_in_libreoffice(capsys, fout, tmp_path, libreoffice):
    doel = tmp_path / "gekleurd.xlsx"
    run(capsys, str(fout), "--colour", str(doel), *PEIL)
    csvs = libreoffice.sheets_as_csv(doel, tmp_path / "csv")
    fiche_csv = next(p for naam, p in csvs.items() if naam == "Fiche").read_text(encoding="utf-8")
    assert "Nieuwbouw station Emmen Noord 110/20 kV" in fiche_csv
    assert "Vertraagd" in fiche_csv  # the stoplicht formula still computes in the copy


# --- the installed console script -----------------------------------------------------------------

def _pmiek_script() -> str:
    kandidaat = Path(sys.executable).with_name("pmiek")
    script = str(kandidaat) if kandidaat.exists() else shutil.which("pmiek")
    assert script, "the pmiek console script is not installed (pip install -e .)"
    return script


@pytest.mark.subprocess
def test_console_script_exit_codes_and_no_traceback(goed, fout, kapot, tmp_path):
    script = _pmiek_script()
    versleuteld = tmp_path / "versleuteld.xlsx"
    from msoffcrypto.format.ooxml import OOXMLFile

    with goed.open("rb") as f, versleuteld.open("wb") as o:
        OOXMLFile(f).encrypt("wachtwoord", o)
    gevallen = [([str(goed), *PEIL], 0), ([str(fout), *PEIL], 1), ([str(kapot), *PEIL], 2),
                ([str(versleuteld), *PEIL], 2), ([str(goed), "--as-of", "morgen"], 2), (PEIL, 2)]
    for args, verwacht in gevallen:
        r = subprocess.run([script, "validate", *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == verwacht, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    r = subprocess.run([script, "-v", "validate", str(versleuteld), *PEIL], capture_output=True, text=True, timeout=120)
    assert "wachtwoord" in r.stdout
    assert "reason=versleuteld" in r.stderr  # the English log line (asked for with -v)
