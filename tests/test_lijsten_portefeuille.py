"""List projects in the portfolio (issue 10): two editions of an Enexis .xlsx, a TenneT ';'-CSV and
a Gasunie list, imported from the watched lists folder by a real sync run next to real fiches;
the derived window and stoplicht, shift days, plusprojecten, disappearing projects, the match of
a fiche to its IP row and the findings about it, and the master's sheets."""

from __future__ import annotations

import datetime as dt
import io
import os
import tomllib
from copy import deepcopy
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from fiche.stoplicht import Stoplicht
from fiche.template import build_fiche_workbook
from sync.config import config_uit_dict
from sync.regels import genoemde_codes, wki_agenda
from sync.synchronisatie import sync_eenmalig

ROOT = Path(__file__).resolve().parent.parent
PEILDATUM = dt.date(2026, 11, 15)
KOP_ENEXIS = ["Projectnummer", "Projectnaam", "Gemeente", "Spanningsniveau", "Verwachte ingebruikname"]
KOP_TENNET = ["Project ID", "Naam", "Locatie", "IBN (jaar)", "Fase"]


def _voorbeeld(nr: int, **velden) -> bytes:
    with open(ROOT / "workbook_templates" / "examples" / "projecten.toml", "rb") as fh:
        entry = deepcopy(tomllib.load(fh)["fiche"][nr])
    entry["velden"].update(velden)
    buf = io.BytesIO()
    build_fiche_workbook(entry["fiche_type"], entry["velden"], entry.get("tabellen", {})).save(buf)
    return buf.getvalue()


def _xlsx(rijen: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Voorbeelddata: fictieve projectlijst"])
    for r in rijen:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(kop: list[str], rijen: list[list]) -> bytes:
    return ("\n".join(";".join(str(v) for v in r) for r in [kop, *rijen]) + "\n").encode("utf-8")


def _zet(pad: Path, inhoud: bytes, moment: dt.datetime) -> None:
    pad.parent.mkdir(parents=True, exist_ok=True)
    pad.write_bytes(inhoud)
    os.utime(pad, (moment.timestamp(), moment.timestamp()))


@pytest.fixture
def omgeving(tmp_path):
    fiches, lijsten = tmp_path / "fiches", tmp_path / "lijsten"
    oud = dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)
    _zet(fiches / "zeijerveen.xlsx", _voorbeeld(2, investeringsplannen="Enexis IP2024, code ENX-003."), oud)
    _zet(fiches / "noord.xlsx", _voorbeeld(0, investeringsplannen="TenneT IP2026; IP-code: enx-003"), oud)
    _zet(fiches / "bargermeer.xlsx", _voorbeeld(1, investeringsplannen="Enexis, code ENX-999"), oud)
    _zet(lijsten / "ip_Enexis_IP2024_2024-06-30_voorbeeld.xlsx", _xlsx([
        KOP_ENEXIS,
        ["ENX-001", "Station Emmen Bargermeer 2", "Emmen", "110/20 kV", 2030],
        ["ENX-002", "Verzwaring Beilen", "Beilen", "20 kV", "Q2 2029"],
        ["ENX-003", "Station Assen Zeijerveen 2", "Assen", "110/20 kV", 2032],
        ["ENX-004", "Kabel Zuidlaren", "Zuidlaren", "20 kV", 2028]]), oud)
    _zet(lijsten / "ip_Enexis_IP2026_2026-06-30_voorbeeld.xlsx", _xlsx([
        KOP_ENEXIS,
        ["ENX-001", "Station Emmen Bargermeer 2", "Emmen", "110/20 kV", 2032],
        ["ENX-002", "Verzwaring Beilen", "Beilen", "20 kV", "Q3 2029"],
        ["ENX-003", "Station Assen Zeijerveen 2", "Assen", "110/20 kV", 2033]]), oud)
    _zet(lijsten / "ip_TenneT_IP2026_2026-06-30_voorbeeld.csv", _csv(KOP_TENNET, [
        ["TEN-10", "Station Meppel 110 kV", "Meppel", 2029, "Realisatiefase"]]), oud)
    _zet(lijsten / "ip_Gasunie_IP2024_2024-06-30.csv", _csv(KOP_TENNET, [["GU-1", "Waterstofleiding Emmen", "Emmen",
                                                                          2030, "Projectfase"]]), oud)
    _zet(lijsten / "ip_Gasunie_IP2026_2026-06-30.csv", _csv(KOP_TENNET, [["GU-1", "Waterstofleiding Emmen", "Emmen",
                                                                          2033, "Projectfase"]]), oud)
    config = config_uit_dict({"source": {"path": str(fiches)}, "store": {"path": str(tmp_path / "pmiek.sqlite")},
                              "master": {"path": str(tmp_path / "master.xlsx")},
                              "lijsten": {"map": str(lijsten)}}, tmp_path)
    return config, lijsten


def _sync(config, peildatum=PEILDATUM):
    r = sync_eenmalig(config, peildatum=peildatum, voortgang=False)
    assert r.status == "ok", r.fouten
    return r


def test_window_stoplicht_shift_plusproject_and_disappearing(omgeving):
    config, _ = omgeving
    o = _sync(config).overzicht
    per_code = {p.lijst.code: p for p in o.projecten if p.is_lijstproject}
    a = per_code["ENX-001"]
    assert (a.soort, a.gemeente, a.energiecluster, a.drager) == ("IP", "Emmen", "C", "Elektriciteit")
    assert (a.ondergrens, a.bovengrens, a.prognose) == (dt.date(2030, 12, 31), dt.date(2031, 12, 31),
                                                         dt.date(2032, 12, 31))
    assert a.stoplicht is Stoplicht.VERTRAAGD and a.is_plusproject
    assert (a.lijst.verschuiving_vorige, a.lijst.verschuiving_eerste) == (731, 731)
    assert [e["editie"] for e in a.lijst.edities] == ["IP2024", "IP2026"]
    b = per_code["ENX-002"]
    assert b.gemeente == "Midden-Drenthe"  # Beilen lies in Midden-Drenthe
    assert b.stoplicht is Stoplicht.OP_PLANNING and b.lijst.verschuiving_eerste == 92 and not b.is_plusproject
    weg = per_code["ENX-004"]
    assert weg.lijst.verdwenen and weg.lijst.verdwenen_in == "IP2026"  # flagged, not dropped
    assert not per_code["TEN-10"].lijst.verdwenen and per_code["TEN-10"].stoplicht is Stoplicht.OP_PLANNING
    gas = per_code["GU-1"]
    assert gas.drager == "Waterstof" and gas.stoplicht is Stoplicht.VERTRAAGD and not gas.is_plusproject
    assert a in o.plusprojecten and gas not in o.plusprojecten


def test_a_fiche_naming_its_ip_code_is_one_project_with_both_sources(omgeving):
    config, _ = omgeving
    o = _sync(config).overzicht
    assert "ENX-003" not in {p.lijst.code for p in o.projecten if p.is_lijstproject}
    (zeijerveen,) = [p for p in o.projecten if p.lijst is not None and p.lijst.code == "ENX-003"]
    assert zeijerveen.soort == "pMIEK 2.0 concreet" and "Zeijerveen" in zeijerveen.projectnaam
    assert "Fiche zeijerveen.xlsx" in zeijerveen.bronnen and "IP-lijst Enexis IP2026 (ENX-003)" in zeijerveen.bronnen
    # The fiche's own window counts, not the list's derived one.
    assert zeijerveen.ondergrens != dt.date(2032, 12, 31)
    dubbel = [m for m in o.datakwaliteit if m.soort == "ip_dubbel"]
    assert len(dubbel) == 1 and dubbel[0].bron_naam == "noord.xlsx" and "ENX-003" in dubbel[0].melding
    onbekend = [m for m in o.datakwaliteit if m.soort == "ip_onbekend"]
    assert len(onbekend) == 1 and "ENX-999" in onbekend[0].melding and onbekend[0].bron_naam == "bargermeer.xlsx"
    # List projects never count as stale fiches or teams without a voorzitter.
    lijstnamen = {p.projectnaam for p in o.projecten if p.is_lijstproject}
    assert not [m for m in o.datakwaliteit if m.soort in ("verouderd", "geen_voorzitter") and m.project in lijstnamen]


def test_codes_named_in_a_fiche():
    assert genoemde_codes("Enexis IP2026 (code VB-0000, fictief); TenneT nog niet.") == {"vb-0000"}
    assert genoemde_codes("Staat in het IP als ENX-12 en TEN-4.", bekende={"enx-12"}) == {"enx-12"}
    assert genoemde_codes("Opgenomen in IP2026 van TenneT.") == set()


def test_an_update_this_quarter_makes_a_newly_shifted_plusproject(omgeving):
    config, lijsten = omgeving
    _sync(config)
    _zet(lijsten / "ip_Enexis_IP2026-update1_2026-10-15.xlsx", _xlsx([
        KOP_ENEXIS,
        ["ENX-001", "Station Emmen Bargermeer 2", "Emmen", "110/20 kV", 2032],
        ["ENX-002", "Verzwaring Beilen", "Beilen", "20 kV", "Q2 2030"],
        ["ENX-003", "Station Assen Zeijerveen 2", "Assen", "110/20 kV", 2033]]),
        dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc))
    o = _sync(config).overzicht
    (b,) = [p for p in o.projecten if p.lijst is not None and p.lijst.code == "ENX-002"]
    assert b.lijst.editie == "IP2026-update1" and b.lijst.verschuiving_vorige == 273
    assert b.slip_dagen == 273 and b.trend == "verslechterd" and b.is_plusproject
    (punt,) = [w for w in wki_agenda(o) if w.sleutel == b.sleutel]
    assert "+273 dagen t.o.v. vorig kwartaal" in punt.reden and "t.o.v. IP2024" in punt.reden
    # The quarterly e-mail counts the lists per kind and names only the newly shifted list project.
    from sync.kwartaal.bericht import html_versie, tekst_versie
    from sync.kwartaal.inhoud import bouw_rapport
    rapport = bouw_rapport(o)
    tekst = tekst_versie(rapport)
    assert "- IP (5): 2 rood, 1 oranje, 2 groen" in tekst and "1 lijstproject later gepland dan vorig kwartaal" in tekst
    assert "* Verzwaring Beilen (Enexis IP2026-update1, ENX-002): +273 dagen, nu 30 juni 2030" in tekst
    assert "Kabel Zuidlaren" not in tekst and "Station Meppel 110 kV" not in tekst  # not every row
    # A list plusproject is one line in its own sub-list of the plusprojecten, not an empty card.
    lijst_plus = [p for p in o.plusprojecten if p.is_lijstproject]
    assert [r.project for r in rapport.lijst_plusprojecten] == lijst_plus and len(lijst_plus) == 2
    assert not any(r.project.is_lijstproject for r in rapport.plusprojecten)
    assert rapport.aantal_plus == len(o.plusprojecten) and rapport.meer_plus == rapport.meer_lijst_plus == 0
    plus = tekst[tekst.index("\nPLUSPROJECTEN\n"):tekst.index("\nWIJZIGINGEN SINDS")]
    assert ("\nUit de projectlijsten (zonder fiche): 2 plusprojecten\n"
            "* Station Emmen Bargermeer 2 (IP · Enexis · Emmen): IBN 31 dec 2030 → 31 dec 2032 (+731 dagen) "
            "[Vertraagd]\n"
            "* Verzwaring Beilen (IP · Enexis · Midden-Drenthe): IBN 30 jun 2029 → 30 jun 2030 "
            "(+365 dagen, +273 dagen sinds vorig kwartaal) [Risico op vertraging]\n") in plus
    assert plus.count("  Toelichting: ") == len(rapport.plusprojecten)  # the fiche cards only
    assert "Toelichting: -" not in plus and "* Station Emmen Bargermeer 2 [" not in plus
    h = html_versie(rapport, "tijdlijn")
    h_plus = h[h.index(">Plusprojecten</h2>"):h.index(">Wijzigingen sinds")]
    assert h_plus.count(">Toelichting</td>") == len(rapport.plusprojecten)
    assert "<b>Verzwaring Beilen</b> (IP · Enexis · Midden-Drenthe): IBN 30 jun 2029 → 30 jun 2030 " in h_plus
    assert h_plus.count('<b>Station Emmen Bargermeer 2</b> (IP · Enexis · Emmen)') == 1
    assert "<b>Station Emmen Bargermeer 2</b></td>" not in h  # no card title
    assert ">Uit de projectlijsten (zonder fiche): 2 plusprojecten</b>" in h_plus
    # A second sync with the same files imports nothing new.
    from sqlalchemy import func, select

    from sync.lijsten.tabellen import lijst_imports
    from sync.store import open_store
    s = open_store(config.store_url)
    try:
        with s.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(lijst_imports)) == 6
    finally:
        s.close()


def test_master_shows_kinds_and_the_list_sheet(omgeving):
    config, _ = omgeving
    r = _sync(config)
    wb = load_workbook(r.master)
    ws = wb["Overzicht"]
    kop = [c.value for c in ws[5]]
    soorten = {ws.cell(row=i, column=kop.index("Soort") + 1).value for i in range(6, ws.max_row + 1)}
    assert {"pMIEK 2.0 concreet", "IP"} <= soorten
    ws = wb["Lijstprojecten"]
    assert "ondergrens is de geplande IBN in de eerste editie" in ws["A3"].value
    kop = [c.value for c in ws[5]]
    rijen = [dict(zip(kop, (c.value for c in rij), strict=False)) for rij in ws.iter_rows(min_row=6)]
    per_code = {rij["Code"]: rij for rij in rijen if rij["Code"]}
    assert set(per_code) == {"ENX-001", "ENX-002", "ENX-003", "ENX-004", "TEN-10", "GU-1"}
    assert per_code["ENX-001"]["Verschuiving t.o.v. eerste (dagen)"] == 731
    assert per_code["ENX-001"]["Stoplicht"] == "Vertraagd" and per_code["ENX-001"]["Plusproject"] == "Ja"
    assert per_code["ENX-004"]["In nieuwste lijst"] == "Niet meer in IP2026"
    assert "Zeijerveen" in per_code["ENX-003"]["Fiche"]
    plus = [c.value for c in wb["Plusprojecten"]["A"][5:]]
    assert "Station Emmen Bargermeer 2" in plus
    assert ws.tables["tblLijstenPerBron"] is not None


def test_the_frozen_quarter_keeps_the_list_rows(omgeving):
    from sync.kwartaal.rapportage import overzicht_naar_json, overzicht_van_json
    config, _ = omgeving
    o = _sync(config).overzicht
    terug = overzicht_van_json(overzicht_naar_json(o))
    assert [p.lijst for p in terug.projecten] == [p.lijst for p in o.projecten]
    assert [p.soort for p in terug.projecten] == [p.soort for p in o.projecten]
    assert terug.tolerantie_maanden == 12 and [p.sleutel for p in terug.plusprojecten] == [
        p.sleutel for p in o.plusprojecten]


def test_v_projecten_names_the_kind_and_the_lists_source(omgeving):
    from sqlalchemy import create_engine, text

    config, _ = omgeving
    _sync(config)
    engine = create_engine(config.store_url)
    try:
        with engine.connect() as conn:
            rijen = {r.projectnaam: (r.soort, r.bron, r.projecttype) for r in conn.execute(
                text("SELECT projectnaam, soort, bron, projecttype FROM v_projecten"))}
    finally:
        engine.dispose()
    assert rijen["Station Emmen Bargermeer 2"] == ("IP", "Enexis", "IP")
    assert rijen["Station Meppel 110 kV"] == ("IP", "TenneT", "IP")
    # A fiche naming its IP code: the fiche's kind, the list row's source.
    (zeijerveen,) = [v for naam, v in rijen.items() if "Zeijerveen" in naam]
    assert zeijerveen == ("pMIEK 2.0 concreet", "Enexis", "Concreet")
    assert rijen["Kabel Zuidlaren"][:2] == ("IP", "Enexis")
