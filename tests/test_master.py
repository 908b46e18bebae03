"""The master monitoring workbook: reference comparison, LibreOffice, formula injection, content,
an empty snapshot and the atomic write."""

from __future__ import annotations

import copy
import difflib
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from xml.dom import minidom
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sample_overzicht import (
    HOSTILE_FORMULA,
    HOSTILE_ORGANISATIE,
    HOSTILE_SCRIPT,
    empty_overzicht,
    sample_overzicht,
)

from fiche.stoplicht import KLEUREN, Stoplicht
from sync.master import BLADEN, KOPRIJ, MasterWriteError, master_inhoud, schrijf_master
from sync.overzicht import rangorde

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "master_reference.xlsx"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,254}$")


# --- Part-by-part comparison (XlsxWriter style) -------------------------------------------------

#: What changes on every run: the package timestamps in docProps/core.xml.
_VOLATILE = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: _normalise(name, z.read(name)) for name in z.namelist()}


def _normalise(name: str, data: bytes) -> bytes:
    if name == "docProps/core.xml":
        data = _VOLATILE.sub(b"", data)
    return data


def _pretty(data: bytes) -> list[str]:
    try:
        return minidom.parseString(data).toprettyxml(indent=" ").splitlines()
    except Exception:  # not XML: compare the raw text
        return data.decode("utf-8", "replace").splitlines()


def compare_with_reference(got: Path, expected: Path) -> list[str]:
    """Readable differences between two xlsx packages; empty when they are the same."""
    a, b = _parts(got), _parts(expected)
    problems = []
    if sorted(a) != sorted(b):
        problems.append(f"parts differ: only in generated {sorted(set(a) - set(b))}, "
                        f"only in reference {sorted(set(b) - set(a))}")
    for name in sorted(set(a) & set(b)):
        if a[name] != b[name]:
            diff = list(difflib.unified_diff(_pretty(b[name]), _pretty(a[name]), f"reference/{name}",
                                             f"generated/{name}", lineterm="", n=2))
            shown = diff[:80] + ([f"... {len(diff) - 80} more diff lines"] if len(diff) > 80 else [])
            problems.append("\n".join(shown))
    return problems


def test_master_matches_committed_reference(tmp_path):
    got = schrijf_master(sample_overzicht(), tmp_path / "master.xlsx")
    problems = compare_with_reference(got, REFERENCE)
    assert not problems, (
        "The generated master differs from tests/reference/master_reference.xlsx. If the change is "
        "intended, run `python scripts/update_master_reference.py`, check the file and commit it.\n\n"
        + "\n\n".join(problems)
    )


def test_reference_comparison_catches_a_changed_light_and_ignores_only_timestamps(tmp_path):
    o = sample_overzicht()
    first = schrijf_master(o, tmp_path / "a.xlsx")
    second = schrijf_master(o, tmp_path / "b.xlsx")
    assert compare_with_reference(first, second) == []
    with zipfile.ZipFile(first) as z:
        core = z.read("docProps/core.xml")
    assert b"dcterms:modified" in core and b"dcterms:modified" not in _normalise("docProps/core.xml", core)

    changed = sample_overzicht()
    changed.projecten[2].stoplicht = Stoplicht.VERTRAAGD  # Zeijerveen: Op planning -> Vertraagd
    problems = compare_with_reference(schrijf_master(changed, tmp_path / "c.xlsx"), first)
    # The Overzicht sheet's cell now points at another shared string and style.
    assert problems and any("xl/worksheets/sheet1.xml" in p for p in problems)


# --- LibreOffice ------------------------------------------------------------------------------

def _csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.libreoffice
def test_master_opens_in_libreoffice_and_exports_the_overview(tmp_path, libreoffice):
    o = sample_overzicht()
    master = schrijf_master(o, tmp_path / "master.xlsx")
    sheets = libreoffice.sheets_as_csv(master, tmp_path / "csv")
    assert sorted(sheets) == sorted(BLADEN)

    rows = _csv_rows(sheets["Overzicht"])
    assert rows[0][0] == "pMIEK monitoring – Overzicht"
    assert rows[1][0] == "Peildatum: 30-9-2026 (Q3 2026)  ·  Gegenereerd: 5-10-2026 09:30"
    header = rows[KOPRIJ - 1]
    assert header[:5] == ["Projectnaam", "Type", "Soort", "Drager", "Gemeente"] and header[-1] == "Fiche"
    body = [r for r in rows[KOPRIJ:] if any(r)]
    assert {r[0] for r in body} == {p.projectnaam for p in o.projecten}
    by_name = {r[0]: dict(zip(header, r)) for r in body}
    bargermeer = by_name["Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV"]
    assert (bargermeer["Stoplicht"], bargermeer["Score"], bargermeer["Trend"]) == ("Vertraagd", "1", "Verslechterd")
    assert bargermeer["Toelichting"] == HOSTILE_SCRIPT
    assert bargermeer["Let op"].startswith("Nieuwere versie afgekeurd")
    mst = by_name["MS-T verzwaring Coevorden - Dalen"]
    assert (mst["Stoplicht"], mst["Score"], mst["Trend"]) == ("Onbekend", "", "Nieuw")

    # The hostile formula arrives in LibreOffice as the literal text, not as its result.
    plus = _csv_rows(sheets["Plusprojecten"])
    assert any(HOSTILE_FORMULA in r for r in plus)
    cap = _csv_rows(sheets["Capaciteit"])
    assert any(r and r[0] == HOSTILE_ORGANISATIE for r in cap)

    # And it lays the workbook out for print without complaint: one PDF of every sheet.
    pdf = libreoffice.convert(master, "pdf", tmp_path / "pdf")
    data = pdf.read_bytes()
    pages = re.findall(rb"/Type\s*/Page(?![A-Za-z])", data)
    assert data.startswith(b"%PDF") and len(pages) >= len(BLADEN)


@pytest.mark.libreoffice
def test_empty_snapshot_opens_in_libreoffice(tmp_path, libreoffice):
    master = schrijf_master(empty_overzicht(), tmp_path / "leeg.xlsx")
    sheets = libreoffice.sheets_as_csv(master, tmp_path / "csv")
    assert sorted(sheets) == sorted(BLADEN)
    for naam in ("Overzicht", "Plusprojecten", "Mijlpalen", "Knelpunten", "Capaciteit", "Historie"):
        text = sheets[naam].read_text(encoding="utf-8")
        assert "Geen projecten in dit overzicht" in text, naam


# --- Formula injection ------------------------------------------------------------------------

def bouw_master(o):
    """The master of `o` as openpyxl reads it back."""
    import io

    return load_workbook(io.BytesIO(master_inhoud(o)))


def _sheet_xml(path: Path) -> tuple[dict[str, ET.Element], list[str]]:
    """Every sheet's XML by name, and the shared string table."""
    with zipfile.ZipFile(path) as z:
        gedeeld = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
                gedeeld.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        out = {}
        for sheet in wb.find("m:sheets", NS):
            rid = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            target = targets[rid].lstrip("/")
            out[sheet.get("name")] = ET.fromstring(z.read(target if target.startswith("xl/") else "xl/" + target))
        return out, gedeeld


def _cell_texts(sheet: ET.Element, gedeeld: list[str]) -> list[tuple[str, str | None, str]]:
    """(ref, type, text) of every cell holding a string: a shared string (t="s") or an inline one."""
    out = []
    for c in sheet.iter(f"{{{NS['m']}}}c"):
        t = c.find("m:is/m:t", NS)
        if t is not None:
            out.append((c.get("r"), c.get("t"), t.text or ""))
        elif c.get("t") == "s":
            out.append((c.get("r"), "s", gedeeld[int(c.find("m:v", NS).text)]))
    return out


#: The cell types that hold text as text (never a formula): a shared or an inline string.
TEKST_TYPEN = {"s", "inlineStr"}


def test_fiche_text_starting_with_equals_stays_text_at_xml_level(tmp_path):
    master = schrijf_master(sample_overzicht(), tmp_path / "master.xlsx")
    sheets, gedeeld = _sheet_xml(master)
    for name, sheet in sheets.items():
        # The master holds no formula at all: everything is a value.
        assert sheet.find(".//m:f", NS) is None, f"formula element in sheet {name}"
    hits = {name: [(r, t) for r, t, text in _cell_texts(sheet, gedeeld) if text == HOSTILE_FORMULA]
            for name, sheet in sheets.items()}
    # Main knelpunt of Emmen Noord: on Knelpunten and as Hoofdknelpunt on Plusprojecten.
    assert len(hits["Knelpunten"]) == 1 and len(hits["Plusprojecten"]) == 1
    assert all(t in TEKST_TYPEN for found in hits.values() for _, t in found)
    org = [t for _, t, text in _cell_texts(sheets["Capaciteit"], gedeeld) if text == HOSTILE_ORGANISATIE]
    assert len(org) == 2 and set(org) <= TEKST_TYPEN
    script = [text for _, _, text in _cell_texts(sheets["Overzicht"], gedeeld) if text == HOSTILE_SCRIPT]
    assert script == [HOSTILE_SCRIPT]
    # A control character XML cannot hold is dropped, the rest of the text kept.
    assert any(text == "Twee locaties in beeld." for _, _, text in _cell_texts(sheets["Mijlpalen"], gedeeld))

    wb = load_workbook(master)
    cell = next(c for row in wb["Knelpunten"].iter_rows() for c in row if c.value == HOSTILE_FORMULA)
    assert cell.data_type == "s"


def test_only_web_links_become_hyperlinks(tmp_path):
    o = sample_overzicht()
    master = schrijf_master(o, tmp_path / "master.xlsx")
    with zipfile.ZipFile(master) as z:
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert "javascript" not in rels
    wb = load_workbook(master)
    ws = wb["Overzicht"]
    fiche_col = [c.value for c in ws[KOPRIJ]].index("Fiche") + 1
    links = {ws.cell(r, 1).value: ws.cell(r, fiche_col).hyperlink for r in range(KOPRIJ + 1, ws.max_row + 1)}
    assert links["MS-T verzwaring Coevorden - Dalen"] is None  # javascript: scheme
    assert links["Onderzoek oprichten regionaal warmtebedrijf"] is None  # no link at all
    noord = links["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    assert noord.target == "https://provinciedrenthe.sharepoint.com/sites/pmiek/Fiches/Deelnet%20Emmen%20Noord.xlsx"


# --- Content ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def master_wb(tmp_path_factory):
    path = schrijf_master(sample_overzicht(), tmp_path_factory.mktemp("master") / "master.xlsx")
    return load_workbook(path)


def _table_rows(ws, table_name: str) -> list[dict]:
    table = ws.tables[table_name]
    cells = list(ws[table.ref])
    header = [c.value for c in cells[0]]
    return [dict(zip(header, (c.value for c in row))) for row in cells[1:]]


def test_every_sheet_has_tables_layout_print_and_icons(master_wb):
    assert master_wb.sheetnames == list(BLADEN)
    names = []
    for ws in master_wb.worksheets:
        assert ws.tables, ws.title
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith(str(KOPRIJ + 1)), ws.title
        assert ws.page_setup.orientation == "landscape"
        assert (ws.page_setup.fitToWidth or 1) == 1  # absent: the OOXML default, 1
        assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == f"${KOPRIJ}:${KOPRIJ}"
        assert "30-9-2026" in ws.oddHeader.right.text and "&P" in ws.oddFooter.right.text
        assert "Gegenereerd 5-10-2026 09:30" in ws.oddFooter.left.text
        assert ws["A2"].value == "Peildatum: 30-9-2026 (Q3 2026)  ·  Gegenereerd: 5-10-2026 09:30"
        for table in ws.tables.values():
            names.append(table.displayName)
            assert TABLE_NAME.match(table.displayName)
            assert table.autoFilter is not None and table.autoFilter.ref == table.ref
            first, last = table.ref.split(":")
            assert first.endswith(str(KOPRIJ))
            for cell in ws[table.ref][0]:
                assert isinstance(cell.value, str) and cell.value, (ws.title, cell.coordinate)
                assert _breedte(ws, cell.column) > 0
        icon_ranges = [str(cf.sqref) for cf in ws.conditional_formatting
                       for rule in cf.rules if rule.type == "iconSet"
                       # no iconSet attribute: the OOXML default, 3TrafficLights1
                       and (rule.iconSet.iconSet or "3TrafficLights1") == "3TrafficLights1"]
        assert icon_ranges, ws.title
        for ref in icon_ranges:
            col = re.match(r"[A-Z]+", ref).group()
            assert ws[f"{col}{KOPRIJ}"].value.startswith("Score"), (ws.title, ref)
    assert len(names) == len(set(n.lower() for n in names))


def test_stoplicht_cells_are_filled_in_their_colour(master_wb):
    labels = {light.value: light for light in Stoplicht}
    seen = set()
    for ws in master_wb.worksheets:
        columns = [c.column_letter for c in ws[KOPRIJ]
                   if c.value in ("Stoplicht", "Vorig stoplicht", "Stoplicht project")
                   or re.fullmatch(r"Q[1-4] \d{4}", c.value or "")]
        assert columns or ws.title in ("Datakwaliteit", "Energieclusters", "Stand uitvraag"), ws.title
        for col in columns:
            for cell in ws[col][KOPRIJ:]:
                if cell.value is not None:
                    assert cell.value in labels, (ws.title, cell.coordinate)
                    light = labels[cell.value]
                    assert cell.fill.fgColor.rgb[-6:] == KLEUREN[light], (ws.title, cell.coordinate)
                    seen.add(light)
    assert seen == set(Stoplicht)
    # Data-quality urgency wears the colours of red (Hoog) and amber (Middel).
    ws = master_wb["Datakwaliteit"]
    for cell in ws["B"][KOPRIJ:]:
        light = {"Hoog": Stoplicht.VERTRAAGD, "Middel": Stoplicht.RISICO}[cell.value]
        assert cell.fill.fgColor.rgb[-6:] == KLEUREN[light], cell.coordinate


def test_overzicht_rows_and_tables_cover_the_data(master_wb):
    o = sample_overzicht()
    ws = master_wb["Overzicht"]
    rows = _table_rows(ws, "tblOverzicht")
    assert ws.tables["tblOverzicht"].ref == f"A{KOPRIJ}:AB{KOPRIJ + len(o.projecten)}"
    assert [r["Projectnaam"] for r in rows][:2] == [  # concrete first, worst light first
        "Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV", "MS-T verzwaring Coevorden - Dalen"]
    assert [r["Type"] for r in rows] == ["Concreet"] * 6 + ["Verkenning"] * 4
    by_name = {r["Projectnaam"]: r for r in rows}
    noord = by_name["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    assert (noord["Energiecluster"], noord["Escalatie"], noord["Trend"]) == ("C", "WKI", "Verslechterd")
    assert noord["Score"] == 2 and noord["Stoplicht"] == "Risico op vertraging"
    # Aware UTC versions are shown in Dutch local time (CEST: +2).
    assert noord["Versie van"].strftime("%Y-%m-%d %H:%M") == "2026-09-26 14:05"
    assert by_name["Uitbreiding station Hoogeveen 110/20 kV"]["Trend"] == "Gerealiseerd"
    assert by_name["Uitbreiding station Hoogeveen 110/20 kV"]["Score"] == 3
    assert by_name["Onderzoek lokale elektrolyse"]["Energiecluster"] is None
    marked = [r["Projectnaam"] for r in rows if r["Let op"]]
    assert marked == ["Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV"]
    # Internal link: project name -> its first milestone row.
    cell = ws.cell(KOPRIJ + 1 + list(by_name).index(noord["Projectnaam"]), 1)
    assert cell.hyperlink.location and cell.hyperlink.target is None
    sheet, ref = cell.hyperlink.location.split("!")
    assert sheet == "'Mijlpalen'" and master_wb["Mijlpalen"][ref].value == noord["Projectnaam"]


def test_plusprojecten_selection(master_wb):
    rows = _table_rows(master_wb["Plusprojecten"], "tblPlusprojecten")
    assert [r["Projectnaam"] for r in rows] == [
        "Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV",
        "Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV",
        "Waterstof in Hoogeveen",
        "Toepassing restwarmte Attero (Assen, Beilen, Hoogeveen)",
    ]  # not: hydrogen backbone (Risico, but no electricity), the realised station, on-schedule projects
    noord = rows[1]
    assert noord["Verschuiving (dagen)"] == 822  # 31-3-2031 -> 30-6-2033
    assert noord["Hoofdknelpunt"] == HOSTILE_FORMULA  # first knelpunt not yet solved
    assert noord["Oplossing"].startswith("Bestuurlijk overleg") and noord["Eigenaar"] == "Gemeente Emmen"
    assert rows[0]["Escalatie"] == "Energy Board"


def test_mijlpalen_and_knelpunten(master_wb):
    o = sample_overzicht()
    mijl = _table_rows(master_wb["Mijlpalen"], "tblMijlpalen")
    assert len(mijl) == sum(len(p.mijlpalen) for p in o.projecten) == 9
    hand = [r for r in mijl if r["Handmatig stoplicht"] == "Ja"]
    assert [(r["Mijlpaal"], r["Stoplicht"], r["Score"]) for r in hand] == [
        ("Investeringsbesluit", "Risico op vertraging", 2)]
    ingebruikname = next(r for r in mijl if r["Mijlpaal"] == "Ingebruikname" and r["Gereed"] is None)
    assert ingebruikname["Vertraging (dagen)"] == 911 and ingebruikname["Stoplicht"] == "Risico op vertraging"

    knel = _table_rows(master_wb["Knelpunten"], "tblKnelpunten")
    assert len(knel) == sum(len(p.knelpunten) for p in o.projecten) == 5
    solved = [r for r in knel if r["Status"] == "Opgelost"]
    assert [(r["Knelpunt"], r["Oplossing"], r["Eigenaar"]) for r in solved] == [
        ("Capaciteit vergunningverlening bij de gemeente.", "Inzet van de provinciale flexpool.", "Provincie Drenthe")]
    assert all(r["Oplossing"] for r in knel)


def test_capaciteit_sums_follow_the_team_lists_and_the_norm(master_wb):
    ws = master_wb["Capaciteit"]
    per_fase = {r["Organisatie"]: r for r in _table_rows(ws, "tblCapaciteitFase")}
    # Worked out by hand from tests/sample_overzicht.py (voorzitter 3, deelnemer 2, unless filled in):
    # Provincie Drenthe: Emmen Noord vz 3 (Projectfase), Bargermeer vz 3, Waterstof Hoogeveen dn 2,
    #   elektrolyse vz 3, Attero vz 3, warmtebedrijf 2.0 filled in (all Verkenningsfase) = 13;
    #   backbone 1.0 filled in (Realisatiefase).
    assert per_fase["Provincie Drenthe"]["Verkenningsfase"] == 13
    assert per_fase["Provincie Drenthe"]["Projectfase"] == 3
    assert per_fase["Provincie Drenthe"]["Realisatiefase"] == 1
    assert per_fase["Provincie Drenthe"]["Totaal uren per week"] == 17
    # Enexis: Emmen Noord dn 2 + Zeijerveen dn 2 (Projectfase); Bargermeer dn 2 + elektrolyse dn 2
    #   (Verkenningsfase); station Hoogeveen vz 3 is realised and no longer counts.
    assert [per_fase["Enexis"][k] for k in ("Verkenningsfase", "Projectfase", "Planuitwerkfase", "Realisatiefase")] \
        == [4, 4, 0, 0]
    assert per_fase["Enexis"]["Totaal uren per week"] == 8
    # TenneT: Carla 4.0 filled in (Emmen Noord, Projectfase) + Eva dn 2 (Bargermeer, Verkenningsfase).
    assert per_fase["TenneT"]["Totaal uren per week"] == 6
    assert per_fase[HOSTILE_ORGANISATIE]["Totaal uren per week"] == 1.5
    assert sum(r["Totaal uren per week"] for r in per_fase.values()) == 53.5
    assert "Totaal: 53,5 uur per week." in ws["A3"].value
    assert "Gerealiseerde projecten tellen niet mee." in ws["A3"].value

    per_project = _table_rows(ws, "tblCapaciteitProject")
    assert ws.tables["tblCapaciteitProject"].ref.startswith("I")  # right of the phase table, one column apart
    emmen = [r for r in per_project if r["Organisatie"] == "Gemeente Emmen"]
    assert sorted((r["Projectnaam"], r["Uren per week"]) for r in emmen) == [
        ("Aftakking waterstofbackbone Emmen", 2), ("Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV", 2)]
    prov_noord = next(r for r in per_project if r["Organisatie"] == "Provincie Drenthe"
                      and r["Projectnaam"].endswith("Emmen Noord 110/20 kV"))
    assert (prov_noord["Voorzitters"], prov_noord["Deelnemers"], prov_noord["Fase"]) == (1, 0, "Projectfase")
    assert sum(r["Uren per week"] for r in per_project) == 53.5
    assert not any(r["Projectnaam"] == "Uitbreiding station Hoogeveen 110/20 kV" for r in per_project)


def test_datakwaliteit_lists_findings_and_a_team_without_voorzitter(master_wb):
    rows = _table_rows(master_wb["Datakwaliteit"], "tblDatakwaliteit")
    assert [r["Soort"] for r in rows] == [
        "Ongeldige fiche", "Onleesbaar bestand", "Dubbele fiche", "Verouderde fiche", "Verouderde fiche",
        "Geen voorzitter", "Verwijderde fiche"]
    geen = rows[5]
    assert geen["Project"] == "Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)"
    assert geen["Urgentie"] == "Middel" and geen["Score"] == 2
    assert rows[0]["Urgentie"] == "Hoog" and rows[0]["Score"] == 1
    assert rows[0]["Sinds"].strftime("%Y-%m-%d %H:%M") == "2026-09-29 09:12"


def test_voorzitter_finding_is_not_doubled_when_the_store_reports_it():
    from sync.overzicht import DatakwaliteitMelding
    from sync.regels import datakwaliteit

    def geen_voorzitter(o):
        return [m for m in datakwaliteit(o) if m.soort == "geen_voorzitter"]

    o = sample_overzicht()
    assert [m.project for m in geen_voorzitter(o)] == ["Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)"]
    o.datakwaliteit.append(DatakwaliteitMelding("geen_voorzitter", "Zeijerveen 2.xlsx", "Geen voorzitter.",
                                                project="Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)"))
    assert [m.melding for m in geen_voorzitter(o)] == ["Geen voorzitter."]
    two = copy.deepcopy(o.projecten[0])
    two.projectteam[1]["rol"] = "Voorzitter"
    o.projecten[0] = two
    assert [m.melding for m in geen_voorzitter(o)] == [
        "Projectteam heeft 2 voorzitters; er hoort er één te zijn.", "Geen voorzitter."]


def test_master_and_e_mail_show_the_one_data_quality_list(master_wb):
    # Both present sync.regels.datakwaliteit: the fiche that is stale only by its peildatum is listed
    # in the workbook as well as in the e-mail.
    from sync.kwartaal.inhoud import bouw_rapport

    rows = _table_rows(master_wb["Datakwaliteit"], "tblDatakwaliteit")
    verouderd = {r["Project"] for r in rows if r["Soort"] == "Verouderde fiche"}
    assert verouderd == {naam for naam, _ in bouw_rapport(sample_overzicht()).datakwaliteit.niet_bijgewerkt}


def test_times_are_shown_in_the_snapshots_configured_time_zone():
    # sync.timezone travels with the snapshot: generation and version times follow it.
    o = sample_overzicht()
    o.tijdzone = "America/New_York"
    wb = bouw_master(o)
    assert wb["Overzicht"]["A2"].value == "Peildatum: 30-9-2026 (Q3 2026)  ·  Gegenereerd: 5-10-2026 03:30"
    assert wb["Overzicht"].oddFooter.left.text == "Gegenereerd 5-10-2026 03:30"
    versie = _table_rows(wb["Overzicht"], "tblOverzicht")[0]["Versie van"]
    p = sorted(o.projecten, key=rangorde)[0]
    assert versie == p.versie_ontvangen.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None, microsecond=0)


def test_historie_has_a_column_per_quarter(master_wb):
    ws = master_wb["Historie"]
    header = [c.value for c in ws[KOPRIJ] if c.value]
    assert header == ["Projectnaam", "Type", "Q3 2025", "Q4 2025", "Q1 2026", "Q2 2026", "Q3 2026", "Trend",
                      "Score Q3 2026"]
    rows = {r["Projectnaam"]: r for r in _table_rows(ws, "tblHistorie")}
    assert len(rows) == 11
    noord = rows["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    assert [noord[q] for q in header[2:7]] == ["Op planning"] * 4 + ["Risico op vertraging"]
    gone = rows["waterstof in coevorden (niet meer in het overzicht)"]
    assert (gone["Q1 2026"], gone["Q3 2026"], gone["Score Q3 2026"]) == ("Risico op vertraging", None, None)
    assert rows["MS-T verzwaring Coevorden - Dalen"]["Q2 2026"] is None


def test_current_quarter_is_filled_from_the_snapshot_when_history_lacks_it():
    o = sample_overzicht()
    o.historie = {}
    ws = bouw_master(o)["Historie"]
    header = [c.value for c in ws[KOPRIJ] if c.value]
    assert header == ["Projectnaam", "Type", "Q3 2026", "Trend", "Score Q3 2026"]
    assert ws.cell(KOPRIJ + 1, 3).value == o.projecten[1].stoplicht.value  # Bargermeer sorts first


# --- Empty snapshot ---------------------------------------------------------------------------

def test_empty_snapshot_gives_a_valid_workbook_with_notes(tmp_path):
    path = schrijf_master(empty_overzicht(), tmp_path / "leeg.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == list(BLADEN)
    for ws in wb.worksheets:
        assert "Geen projecten in dit overzicht" in ws["A3"].value or ws.title == "Datakwaliteit", ws.title
        for table in ws.tables.values():
            # Header plus one empty body row: Excel wants at least one.
            first, last = table.ref.split(":")
            assert int(re.sub(r"[A-Z]", "", last)) == KOPRIJ + 1
            assert all(c.value is None for c in ws[table.ref][1])
    assert "Geen meldingen" in wb["Datakwaliteit"]["A3"].value
    assert "Geen projecten" in wb["Datakwaliteit"]["A3"].value


# --- Atomic write -----------------------------------------------------------------------------

def test_write_replaces_the_master_in_one_step(tmp_path):
    pad = tmp_path / "master.xlsx"
    schrijf_master(empty_overzicht(), pad)
    inode = pad.stat().st_ino
    schrijf_master(sample_overzicht(), pad)
    assert pad.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert load_workbook(pad)["Overzicht"].max_row > KOPRIJ + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]
    if os.name == "posix":
        assert pad.stat().st_mode & 0o077, "master must not be left private like a temp file"


@pytest.mark.subprocess
def test_failed_write_leaves_the_previous_master_intact(tmp_path):
    """A write that dies half-way (file size limit: the disk is 'full') keeps the old master."""
    pad = tmp_path / "master.xlsx"
    schrijf_master(sample_overzicht(), pad)
    before = pad.read_bytes()
    script = textwrap.dedent(f"""
        import resource, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]
        from pathlib import Path
        from sample_overzicht import empty_overzicht
        from sync.master import MasterWriteError, schrijf_master
        resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))
        try:
            schrijf_master(empty_overzicht(), Path({str(pad)!r}))
        except MasterWriteError as exc:
            print(exc.melding)
            sys.exit(3)
        sys.exit(0)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert "kon niet worden geschreven" in result.stdout and "vorige versie is ongewijzigd" in result.stdout
    assert "Traceback" not in result.stderr
    assert pad.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]  # no temp file left behind


def test_target_that_cannot_be_replaced_gives_a_dutch_error(tmp_path):
    pad = tmp_path / "master.xlsx"
    pad.mkdir()  # something else sits where the master should go
    (pad / "keep.txt").write_text("x")
    with pytest.raises(MasterWriteError) as info:
        schrijf_master(sample_overzicht(), pad)
    assert "kon niet worden geschreven" in info.value.melding
    assert (pad / "keep.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]


def test_link_rules():
    from sync.master import veilige_url

    assert veilige_url("https://x.example/a b.xlsx") == "https://x.example/a%20b.xlsx"
    assert veilige_url("http://x.example/") == "http://x.example/"
    for bad in ("javascript:alert(1)", "file:///c:/fiche.xlsx", "https://", "https://x.example/\x00",
                "https://x.example/" + "a" * 2100, "", None, "=HYPERLINK(\"https://x\")"):
        assert veilige_url(bad) is None, bad


def test_two_projects_with_one_name_link_to_their_own_rows():
    o = sample_overzicht()
    twin = copy.deepcopy(o.projecten[0])  # Emmen Noord, a second fiche with the same name
    twin.sleutel += " (2)"
    twin.mijlpalen = twin.mijlpalen[:1]
    o.projecten.append(twin)
    wb = bouw_master(o)
    ws = wb["Mijlpalen"]
    targets = [ws.cell(r, 1).hyperlink.location for r in range(KOPRIJ + 1, ws.max_row + 1)
               if ws.cell(r, 1).value == twin.projectnaam]
    assert len(targets) == 4 and len(set(targets)) == 2


def test_table_values_after_a_json_round_trip_are_understood():
    """The store keeps table rows as JSON: dates come back as ISO text, hours maybe as text."""
    from sync.overzicht import uren_per_week

    o = sample_overzicht()
    noord = o.projecten[0]
    for m in noord.mijlpalen:
        for k in ("gepland", "prognose", "gereed"):
            if m[k] is not None:
                m[k] = m[k].isoformat()
    ws = bouw_master(o)["Mijlpalen"]
    header = [c.value for c in ws[KOPRIJ]]
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=KOPRIJ + 1)]
    ingebruikname = next(r for r in rows if r["Projectnaam"] == noord.projectnaam and r["Mijlpaal"] == "Ingebruikname")
    assert ingebruikname["Vertraging (dagen)"] == 911 and ingebruikname["Gepland"].year == 2031
    assert uren_per_week({"rol": "Deelnemer", "uren": "4,5"}) == 4.5
    assert uren_per_week({"rol": "Voorzitter", "uren": "veel"}) == 3.0
    assert uren_per_week({"rol": "deelnemer", "uren_per_week": None}) == 2.0


# --- A master the project leader can work from (issue 11) -------------------------------------

def test_overzicht_shows_plusproject_knelpunten_voorzitter_and_highlights_escalations(master_wb):
    ws = master_wb["Overzicht"]
    rows = {r["Projectnaam"]: r for r in _table_rows(ws, "tblOverzicht")}
    noord = rows["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    assert (noord["Plusproject"], noord["Voorzitter"], noord["E-mail voorzitter"]) == (
        "Ja", "Anna de Vries", "anna.de.vries@example.nl")
    o = sample_overzicht()
    for p in o.projecten:
        row = rows[p.projectnaam]
        assert row["Open knelpunten"] == sum(1 for k in p.knelpunten if (k.get("status") or "Open") != "Opgelost")
        assert (row["Plusproject"] == "Ja") == p.is_plusproject
    assert rows["MS-T verzwaring Coevorden - Dalen"]["Plusproject"] is None
    # Escalations stand out: bold, red for the Energy Board, amber for the WKI; "Geen" stays plain.
    header = [c.value for c in ws[KOPRIJ]]
    col = header.index("Escalatie")
    cells = {r[0].value: r[col] for r in ws.iter_rows(min_row=KOPRIJ + 1, max_row=KOPRIJ + len(rows))}
    board = cells["Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV"]
    assert board.value == "Energy Board" and board.font.bold
    assert board.fill.fgColor.rgb[-6:] == KLEUREN[Stoplicht.VERTRAAGD]
    wki = cells["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    assert wki.font.bold and wki.fill.fgColor.rgb[-6:] == KLEUREN[Stoplicht.RISICO]
    geen = cells["MS-T verzwaring Coevorden - Dalen"]
    assert geen.value == "Geen" and not geen.font.bold and geen.fill.fill_type is None


def test_projectdetails_hold_toelichting_onderzoeksvraag_dependencies_and_agreements(master_wb):
    rows = {r["Projectnaam"]: r for r in _table_rows(master_wb["Projectdetails"], "tblProjectdetails")}
    o = sample_overzicht()
    assert list(rows) == [p.projectnaam for p in sorted(o.projecten, key=rangorde)]
    noord = rows["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    assert noord["Toelichting"].startswith("Vergunningprocedure loopt uit")
    assert noord["Afhankelijkheden"] == (
        "Andere infrastructuur: Aansluiting op het 110 kV-station Bargermeer (zelfde deelnet).\n"
        "Sectorale ontwikkelingen: Woningbouw Emmen Noord en het bedrijventerrein Bargermeer.")
    assert noord["Uitvoeringsafspraken"].startswith("Bestuursovereenkomst")
    verkenningen = [p for p in o.projecten if p.fiche_type == "verkenning" and p.onderzoeksvraag]
    assert verkenningen and all(rows[p.projectnaam]["Onderzoeksvraag"] == p.onderzoeksvraag for p in verkenningen)
    assert rows[verkenningen[0].projectnaam]["Afhankelijkheden"].startswith("Warmtevraag")


def test_snapshot_carries_dependencies_and_agreements_from_the_stored_fiche(tmp_path):
    import datetime as dt

    from sync.overzicht_bouw import OverzichtBouwer, _Versie
    from sync.store import open_store

    bouwer = OverzichtBouwer(open_store(f"sqlite:///{tmp_path / 's.sqlite'}"))
    # The assessment as the intake stores it (its "waarden" are the fiche's fields by name).
    waarden = {"projectnaam": "X", "afhankelijkheden_infra": "infra", "afhankelijkheden_sectoraal": "sector",
               "afhankelijkheden_buiten_provincie": "buiten", "uitvoeringsafspraken": "afspraak"}
    bouwer._beoordelingen[1] = {"fiche_type": "concreet", "waarden": waarden, "stoplicht": "Onbekend"}
    v = _Versie(1, 1, "i", "x.xlsx", None, "geaccepteerd", dt.datetime(2026, 9, 1), "x", "X", "concreet", None,
                "Onbekend", None, "[]")
    p = bouwer.project_stand(v, v)
    assert (p.afhankelijkheden_infra, p.afhankelijkheden_sectoraal, p.afhankelijkheden_buiten_provincie,
            p.uitvoeringsafspraken) == ("infra", "sector", "buiten", "afspraak")


def test_energieclusters_count_per_light_plusprojecten_and_hours(master_wb):
    from sync.regels import capaciteit

    o = sample_overzicht()
    ws = master_wb["Energieclusters"]
    rows = {r["Energiecluster"]: r for r in _table_rows(ws, "tblEnergieclusters")}
    assert list(rows) == ["A", "B", "C", "D", "Geen cluster"]
    assert sum(r["Projecten"] for r in rows.values()) == len(o.projecten)
    for light in Stoplicht:
        assert sum(r[light.label] for r in rows.values()) == sum(1 for p in o.projecten if p.stoplicht is light)
    c = [p for p in o.projecten if p.energiecluster == "C"]
    assert rows["C"]["Projecten"] == len(c) and rows["C"]["Gemeenten"] == "Emmen, Coevorden"
    assert rows["C"]["Plusprojecten"] == sum(1 for p in c if p.is_plusproject) == 2
    assert rows["C"]["Uren per week"] == capaciteit(c).totaal_uren
    assert rows["B"]["Projecten"] == 0  # a cluster without projects still has its row
    totaal = next(r for r in ws.iter_rows(min_row=KOPRIJ + 1 + len(rows), max_row=KOPRIJ + 1 + len(rows)))
    assert totaal[0].value == "Totaal" and totaal[0].font.bold
    assert totaal[2].value == len(o.projecten) and totaal[-2].value == capaciteit(o.projecten).totaal_uren


def test_wki_lists_plusprojecten_red_not_escalated_and_invalid_or_stale_fiches():
    from sync.regels import datakwaliteit

    o = sample_overzicht()
    bargermeer = next(p for p in o.projecten if p.projectnaam.endswith("Bargermeer 110/20 kV"))
    bargermeer.escalatie = "Geen"  # red and no longer escalated: the WKI must decide
    ws = bouw_master(o)["WKI"]
    rows = _table_rows(ws, "tblWKI")
    soorten = [r["Onderwerp"] for r in rows]
    volgorde = ["Plusproject", "Vertraagd, niet geëscaleerd", "Ongeldige of dubbele fiche", "Verouderde fiche"]
    assert soorten == sorted(soorten, key=volgorde.index)
    assert [r["Projectnaam"] for r in rows if r["Onderwerp"] == "Plusproject"] == [
        p.projectnaam for p in o.plusprojecten]
    assert [r["Projectnaam"] for r in rows if r["Onderwerp"] == "Vertraagd, niet geëscaleerd"] == [
        bargermeer.projectnaam]  # Waterstof in Hoogeveen is red too, but the WKI already has it
    meldingen = datakwaliteit(o)
    assert sum(1 for r in rows if r["Onderwerp"] == "Verouderde fiche") == sum(
        1 for m in meldingen if m.soort == "verouderd")
    assert sum(1 for r in rows if r["Onderwerp"] == "Ongeldige of dubbele fiche") == sum(
        1 for m in meldingen if m.soort in ("ongeldig", "onleesbaar", "dubbel"))
    assert not any(m.soort == "geen_voorzitter" and r["Waarom op de agenda"] == m.melding
                   for m in meldingen for r in rows)


def test_capaciteit_has_totals_and_no_gaps_between_its_tables(master_wb):
    ws = master_wb["Capaciteit"]
    for naam, kolom in (("tblCapaciteitFase", "Totaal uren per week"), ("tblCapaciteitProject", "Uren per week")):
        table = ws.tables[naam]
        first, last = table.ref.split(":")
        last_row = int(re.sub(r"[A-Z]", "", last))
        header = [c.value for c in ws[table.ref][0]]
        totaal = ws[f"{re.sub(r'[0-9]', '', first)}{last_row + 1}"]
        assert totaal.value == "Totaal" and totaal.font.bold, naam
        som = ws.cell(last_row + 1, totaal.column + header.index(kolom)).value
        assert som == sum(r[kolom] for r in _table_rows(ws, naam)) == 53.5, naam
    # The two tables share rows: no row of either is made taller by wrapped text in the other.
    assert all(ws.row_dimensions[r].height is None for r in range(KOPRIJ + 1, ws.max_row + 1))


# --- Nothing cut off ---------------------------------------------------------------------------

STOPLICHT_LABELS = {light.label for light in Stoplicht}


def _breedte(ws, kolom: int) -> float:
    """A column's width, also when the file gives it for a range of columns (`<col min max>`)."""
    for dim in ws.column_dimensions.values():
        if dim.width and (dim.min or 0) <= kolom <= (dim.max or dim.min or 0):
            return dim.width
    return 0.0


def _cut_off(ws, names: set[str]) -> list[str]:
    """Stoplicht labels and project names the widths set would cut off: a cell fits when its
    column is as wide as its text (bold text about 10% wider, plus padding), or it wraps (a cell
    without a hyperlink: LibreOffice does not wrap those) in a row tall enough for its lines."""
    problems = []
    for row in ws.iter_rows(min_row=KOPRIJ + 1):
        for cell in row:
            text = cell.value
            if not isinstance(text, str) or (text not in STOPLICHT_LABELS and text not in names):
                continue
            width = _breedte(ws, cell.column)
            needed = len(text) * (1.1 if cell.font.bold else 1.0) + 1
            if width >= needed:
                continue
            lines = len(textwrap.wrap(text, max(1, int(width) - 1)))
            height = ws.row_dimensions[cell.row].height or 15
            if cell.alignment.wrap_text and cell.hyperlink is None and height >= 15 * lines:
                continue
            problems.append(f"{ws.title}!{cell.coordinate} {text!r} (width {width}, needs {needed:.0f})")
    return problems


def test_no_stoplicht_label_or_project_name_is_cut_off_in_the_sample_master(master_wb):
    names = {p.projectnaam for p in sample_overzicht().projecten}
    assert max(len(n) for n in names) > 60  # the two long "Deelnet Emmen ..." names are in it
    problems = [p for ws in master_wb.worksheets for p in _cut_off(ws, names)]
    assert problems == []


def test_no_stoplicht_label_or_project_name_is_cut_off_in_the_demo_master(tmp_path):
    """The demo's own master: the example fiches through one real sync."""
    import shutil

    from pmiek.commands.demo import VOORBEELDEN
    from sync.config import VOORBEELD_CONFIG, laad_config
    from sync.synchronisatie import sync_eenmalig

    (tmp_path / "fiches").mkdir()
    for pad in sorted(VOORBEELDEN.glob("*.xlsx")):
        shutil.copyfile(pad, tmp_path / "fiches" / pad.name)
    config_pad = tmp_path / "pmiek.toml"
    config_pad.write_text(VOORBEELD_CONFIG.format(source="fiches", store="pmiek.sqlite", master="master.xlsx"),
                          encoding="utf-8")
    r = sync_eenmalig(laad_config(config_pad), voortgang=False)
    wb = load_workbook(r.master)
    names = {row[0] for row in wb["Overzicht"].iter_rows(min_row=KOPRIJ + 1, values_only=True) if row[0]}
    assert any(n.startswith("Deelnet Emmen") for n in names)
    problems = [p for ws in wb.worksheets for p in _cut_off(ws, names)]
    assert problems == []
