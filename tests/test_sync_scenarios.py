"""The sync scenarios of issue 4, run against every fiche source through the `bron` fixture.

Each scenario is a plain function of an `Omgeving` (a source a test can change: put a file,
delete one) so the same story runs against the folder source and against the Graph source on
the local stub, and (folder source) against both store backends: a real SQLite file in tmp_path
and a real PostgreSQL database (`store_url`, tests/pgserver.py). Real parts only: real workbooks
written by the template generator, the real reader and validator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
import tomllib
import zipfile
from copy import deepcopy
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import formaten
import pytest
import time_machine
from openpyxl import Workbook
from sqlalchemy import select

from fiche.errors import InputError
from fiche.stoplicht import Stoplicht
from sync.config import Config, config_voor_map
from sync.overzicht_bouw import bouw_overzicht
from sync.store import FicheVersie, open_store
from sync.synchronisatie import SyncResultaat, sync_eenmalig

ROOT = Path(__file__).resolve().parent.parent
VANDAAG = dt.date(2026, 11, 15)
UTC = dt.timezone.utc


# --- fiches ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _voorbeelden() -> list[dict[str, Any]]:
    with open(ROOT / "workbook_templates" / "examples" / "projecten.toml", "rb") as fh:
        return tomllib.load(fh)["fiche"]


def fiche_bytes(nr: int = 0, **velden: Any) -> bytes:
    """Example fiche `nr` (0-based, concrete projects first), with some fields overridden
    (None removes a field)."""
    return _fiche_bytes(nr, tuple(sorted(velden.items(), key=lambda kv: kv[0])))


@lru_cache(maxsize=64)
def _fiche_bytes(nr: int, velden: tuple) -> bytes:
    entry = deepcopy(_voorbeelden()[nr])
    for k, v in velden:
        if k == "zonder_voorzitter":  # not a field: every team member a deelnemer
            for lid in entry.get("tabellen", {}).get("projectteam", []):
                lid["rol"] = "Deelnemer"
            continue
        if v is None:
            entry["velden"].pop(k, None)
        else:
            entry["velden"][k] = v
    buf = io.BytesIO()
    from fiche.template import build_fiche_workbook
    build_fiche_workbook(entry["fiche_type"], entry["velden"], entry.get("tabellen", {})).save(buf)
    return buf.getvalue()


def projectnaam(nr: int) -> str:
    return _voorbeelden()[nr]["velden"]["projectnaam"]


def vreemd_xlsx() -> bytes:
    """A real workbook that is not a fiche (no defined names, no tables)."""
    wb = Workbook()
    wb.active["A1"] = "Boodschappenlijst"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_geen_xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "geen werkmap")
    return buf.getvalue()


# --- sources a test can change ---------------------------------------------------------------

class Omgeving(Protocol):
    soort: str

    def zet(self, naam: str, inhoud: bytes, gewijzigd: dt.datetime) -> None: ...
    def verwijder(self, naam: str) -> None: ...
    def config(self) -> Config: ...


class MapOmgeving:
    """The folder source: files in tmp_path/fiches, modification time set explicitly."""

    soort = "map"

    def __init__(self, tmp_path: Path, store: str | None = None) -> None:
        self.map = tmp_path / "fiches"
        self.map.mkdir()
        self.tmp = tmp_path
        #: The store: a database URL (either backend), or by default pmiek.sqlite in tmp_path.
        self.store: str | Path = store or tmp_path / "pmiek.sqlite"

    def zet(self, naam: str, inhoud: bytes, gewijzigd: dt.datetime) -> None:
        pad = self.map / naam
        pad.parent.mkdir(parents=True, exist_ok=True)
        pad.write_bytes(inhoud)
        ts = gewijzigd.timestamp()
        os.utime(pad, (ts, ts))

    def verwijder(self, naam: str) -> None:
        pad = self.map / naam
        if pad.is_dir():
            shutil.rmtree(pad)
        else:
            pad.unlink()

    def config(self) -> Config:
        return config_voor_map(self.map, self.store, self.tmp / "master" / "pMIEK-monitoring.xlsx")


@pytest.fixture(autouse=True)
def klok():
    """The service's clock on VANDAAG (deletions are stamped with the time they are noticed)."""
    with time_machine.travel(dt.datetime.combine(VANDAAG, dt.time(12, 0), tzinfo=UTC), tick=True):
        yield


@pytest.fixture(params=["map"])
def bron(request, tmp_path, store_url) -> Omgeving:
    if request.param == "map":
        return MapOmgeving(tmp_path, store_url)
    raise AssertionError(request.param)


def sync(omgeving: Omgeving, peildatum: dt.date = VANDAAG) -> SyncResultaat:
    r = sync_eenmalig(omgeving.config(), peildatum=peildatum, voortgang=False)
    assert r.status == "ok"
    return r


def t(jaar: int, maand: int, dag: int, uur: int = 12) -> dt.datetime:
    return dt.datetime(jaar, maand, dag, uur, tzinfo=UTC)


def meldingen(r: SyncResultaat, soort: str) -> list:
    return [m for m in r.overzicht.datakwaliteit if m.soort == soort]


def versies(omgeving: Omgeving) -> list[FicheVersie]:
    store = open_store(omgeving.config().store_url)
    try:
        with store.session() as s:
            return list(s.scalars(select(FicheVersie).order_by(FicheVersie.id)))
    finally:
        store.close()


# --- scenarios ------------------------------------------------------------------------------

def scenario_ongeldig_houdt_laatste_geldige(o: Omgeving) -> None:
    o.zet("emmen-noord.xlsx", fiche_bytes(0), t(2026, 11, 2))
    r1 = sync(o)
    assert r1.tellingen.geaccepteerd == 1
    [p] = r1.overzicht.projecten
    assert p.projectnaam == projectnaam(0) and not p.nieuwere_versie_ongeldig
    licht_voor = p.stoplicht

    # The team saves a version with an impossible date and no window: refused.
    o.zet("emmen-noord.xlsx", fiche_bytes(0, ibn_bovengrens="31-13-2033", ibn_prognose=None), t(2026, 11, 10))
    r2 = sync(o)
    assert (r2.tellingen.gelezen, r2.tellingen.geaccepteerd, r2.tellingen.geweigerd) == (1, 0, 1)
    [p] = r2.overzicht.projecten
    assert p.nieuwere_versie_ongeldig
    assert p.stoplicht is licht_voor and p.versie_ontvangen == t(2026, 11, 2)
    [m] = meldingen(r2, "ongeldig")
    assert m.bron_naam == "emmen-noord.xlsx" and "31-13-2033" in m.melding and "2-11-2026" in m.melding

    # Both versions are in the store: the accepted one and the refused one with its findings.
    vs = versies(o)
    assert [v.status for v in vs] == ["geaccepteerd", "geweigerd"]
    assert "31-13-2033" in vs[1].bevindingen

    # Fixed again: the flag and the data-quality entry disappear.
    o.zet("emmen-noord.xlsx", fiche_bytes(0, ibn_prognose=dt.date(2033, 12, 1)), t(2026, 11, 12))
    r3 = sync(o)
    [p] = r3.overzicht.projecten
    assert not p.nieuwere_versie_ongeldig and p.prognose == dt.date(2033, 12, 1)
    assert p.stoplicht is Stoplicht.RISICO
    assert not meldingen(r3, "ongeldig")


def scenario_ongewijzigd_leest_niets(o: Omgeving) -> None:
    for nr in range(3):
        o.zet(f"fiche-{nr}.xlsx", fiche_bytes(nr), t(2026, 11, 1 + nr))
    r1 = sync(o)
    assert (r1.tellingen.gezien, r1.tellingen.gedownload, r1.tellingen.gelezen) == (3, 3, 3)
    r2 = sync(o)
    assert (r2.tellingen.gezien, r2.tellingen.gedownload, r2.tellingen.gelezen, r2.tellingen.ongewijzigd) == (3, 0, 0, 3)
    assert len(versies(o)) == 3
    assert [p.projectnaam for p in r2.overzicht.projecten] == [p.projectnaam for p in r1.overzicht.projecten]


def scenario_verwijderd(o: Omgeving) -> None:
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    o.zet("b.xlsx", fiche_bytes(1), t(2026, 11, 1))
    sync(o)
    o.verwijder("b.xlsx")
    r = sync(o)
    assert r.tellingen.verwijderd == 1
    assert [p.projectnaam for p in r.overzicht.projecten] == [projectnaam(0)]
    [m] = meldingen(r, "verwijderd")
    assert m.bron_naam == "b.xlsx" and m.project == projectnaam(1)
    # Nothing accepted was destroyed: the overview as of before the deletion still has it.
    store = open_store(o.config().store_url)
    try:
        eerder = bouw_overzicht(store, VANDAAG - dt.timedelta(days=1))
    finally:
        store.close()
    assert sorted(p.projectnaam for p in eerder.projecten) == sorted([projectnaam(0), projectnaam(1)])
    assert [v.status for v in versies(o)].count("geaccepteerd") == 2
    # A second sync does not report the deletion again.
    assert sync(o).tellingen.verwijderd == 0


def scenario_dubbel(o: Omgeving) -> None:
    o.zet("Waterstof Hoogeveen.xlsx", fiche_bytes(5), t(2026, 11, 1))
    o.zet("Kopie van Waterstof Hoogeveen.xlsx", fiche_bytes(5, toelichting="Kopie, ander verhaal"), t(2026, 11, 3))
    r = sync(o)
    assert r.tellingen.geaccepteerd == 2
    namen = [p.projectnaam for p in r.overzicht.projecten]
    assert namen == [projectnaam(5)]  # flagged, not merged into two rows or one blend
    [p] = r.overzicht.projecten
    assert p.bron_naam == "Kopie van Waterstof Hoogeveen.xlsx" and p.toelichting == "Kopie, ander verhaal"
    [m] = meldingen(r, "dubbel")
    assert m.bron_naam == "Waterstof Hoogeveen.xlsx"
    assert "Kopie van Waterstof Hoogeveen.xlsx" in m.melding and "Waterstof Hoogeveen.xlsx" in m.melding


def scenario_vreemde_bestanden(o: Omgeving) -> None:
    o.zet("goed.xlsx", fiche_bytes(0), t(2026, 11, 1))
    o.zet("kapot.xlsx", b"\x00\x01 dit is geen werkmap" * 50, t(2026, 11, 1))
    o.zet("boodschappen.xlsx", vreemd_xlsx(), t(2026, 11, 1))
    o.zet("archief.xlsx", zip_geen_xlsx(), t(2026, 11, 1))
    o.zet("leeg.xlsx", b"", t(2026, 11, 1))
    r = sync(o)
    assert r.tellingen.geaccepteerd == 1 and r.tellingen.geweigerd == 4
    assert [p.projectnaam for p in r.overzicht.projecten] == [projectnaam(0)]
    slecht = {m.bron_naam for m in r.overzicht.datakwaliteit if m.soort in ("onleesbaar", "ongeldig")}
    assert slecht == {"kapot.xlsx", "boodschappen.xlsx", "archief.xlsx", "leeg.xlsx"}
    for m in r.overzicht.datakwaliteit:
        assert "Traceback" not in m.melding and m.melding.strip()
    # Refused once, not again on every run.
    r2 = sync(o)
    assert r2.tellingen.gelezen == 0 and len(versies(o)) == 5


def scenario_elk_formaat(o: Omgeving) -> None:
    # Every file a partner may leave in the fiche folder is accounted for: .xlsx and .xlsm are read,
    # every other format is named in Datakwaliteit; lock, temporary and system files are not files of
    # a partner and stay out.
    o.zet("emmen-noord.xlsx", fiche_bytes(0), t(2026, 11, 1))
    o.zet("bargermeer.xlsm", formaten.xlsm(fiche_bytes(1)), t(2026, 11, 1))
    o.zet("assen.xls", formaten.xls(), t(2026, 11, 1))
    o.zet("hoogeveen.xlsb", formaten.xlsb(), t(2026, 11, 1))
    o.zet("meppel.ods", formaten.ods(), t(2026, 11, 1))
    o.zet("export.csv", formaten.csv(), t(2026, 11, 1))
    o.zet("notities.docx", formaten.docx(), t(2026, 11, 1))
    o.zet("~$emmen-noord.xlsx", b"Anne-Marie                    ", t(2026, 11, 1))
    o.zet(".~lock.meppel.ods#", b"Anne-Marie,pc,/home,02.11.2026 09:30;", t(2026, 11, 1))
    o.zet("Thumbs.db", formaten.ole2({"Catalog": b"\x00" * 16}), t(2026, 11, 1))
    o.zet("desktop.ini", b"[.ShellClassInfo]\r\n", t(2026, 11, 1))
    o.zet("emmen-noord.tmp", b"half opgeslagen", t(2026, 11, 1))
    r = sync(o)
    assert (r.tellingen.gezien, r.tellingen.geaccepteerd, r.tellingen.geweigerd) == (7, 2, 5)
    assert sorted(p.bron_naam for p in r.overzicht.projecten) == ["bargermeer.xlsm", "emmen-noord.xlsx"]
    vreemd = {m.bron_naam: m.melding for m in meldingen(r, "onleesbaar")}
    assert set(vreemd) == {"assen.xls", "hoogeveen.xlsb", "meppel.ods", "export.csv", "notities.docx"}
    assert "Excel 97-2003" in vreemd["assen.xls"]
    assert "binaire Excel-werkmap (.xlsb)" in vreemd["hoogeveen.xlsb"]
    assert "OpenDocument-rekenblad (.ods)" in vreemd["meppel.ods"]
    assert "(CSV)" in vreemd["export.csv"] and "Word-document" in vreemd["notities.docx"]
    assert all("Opslaan als" in vreemd[n] for n in ("assen.xls", "hoogeveen.xlsb", "meppel.ods"))
    assert all("(.xlsx)" in m for m in vreemd.values())
    # A fiche saved again as .xlsm keeps its project: it moves to the new file, and no "Fiche verwijderd
    # uit de bron" is reported, since another file still describes the project.
    o.verwijder("emmen-noord.xlsx")
    o.zet("emmen-noord.xlsm", formaten.xlsm(fiche_bytes(0)), t(2026, 11, 2))
    r = sync(o)
    assert sorted(p.bron_naam for p in r.overzicht.projecten) == ["bargermeer.xlsm", "emmen-noord.xlsm"]
    assert projectnaam(0) in [p.projectnaam for p in r.overzicht.projecten]
    assert not meldingen(r, "verwijderd")
    # Refused once, not read again while unchanged.
    assert sync(o).tellingen.gelezen == 0


def scenario_trend_en_historie(o: Omgeving) -> None:
    # Q3: on schedule; Q4: the prognose slips beyond the bovengrens.
    o.zet("emmen-noord.xlsx", fiche_bytes(0, ibn_prognose=dt.date(2031, 3, 31), peildatum=dt.date(2026, 9, 20)),
          t(2026, 9, 20))
    sync(o, peildatum=dt.date(2026, 9, 30))
    o.zet("emmen-noord.xlsx", fiche_bytes(0, ibn_prognose=dt.date(2034, 6, 30)), t(2026, 11, 10))
    r = sync(o)
    [p] = r.overzicht.projecten
    assert p.vorig_stoplicht is Stoplicht.OP_PLANNING and p.stoplicht is Stoplicht.VERTRAAGD
    assert p.trend == "verslechterd" and p.slip_dagen == (dt.date(2034, 6, 30) - dt.date(2031, 3, 31)).days
    assert r.overzicht.historie[p.sleutel] == {"2026Q3": Stoplicht.OP_PLANNING, "2026Q4": Stoplicht.VERTRAAGD}


def scenario_verouderd_en_voorzitter(o: Omgeving) -> None:
    o.zet("oud.xlsx", fiche_bytes(1, peildatum=dt.date(2026, 8, 1)), t(2026, 11, 1))
    o.zet("vers.xlsx", fiche_bytes(2), t(2026, 11, 1))
    r = sync(o)
    assert [m.bron_naam for m in meldingen(r, "verouderd")] == ["oud.xlsx"]
    assert "1-8-2026" in meldingen(r, "verouderd")[0].melding
    assert not meldingen(r, "geen_voorzitter")
    o.zet("vers.xlsx", fiche_bytes(2, zonder_voorzitter=True), t(2026, 11, 2))
    r = sync(o)
    # The validator refuses a team without a voorzitter: the entry names it, the valid version stays.
    [m] = meldingen(r, "ongeldig")
    assert m.bron_naam == "vers.xlsx" and m.project == projectnaam(2) and "geen voorzitter" in m.melding
    assert [p.projectteam[0]["rol"] for p in r.overzicht.projecten if p.bron_naam == "vers.xlsx"] == ["Voorzitter"]
    # A realised project (example 5: Gerealiseerd) is not chased for an update.
    o.zet("klaar.xlsx", fiche_bytes(4, peildatum=dt.date(2026, 8, 1)), t(2026, 11, 1))
    r = sync(o)
    assert [m.bron_naam for m in meldingen(r, "verouderd")] == ["oud.xlsx"]
    assert any(p.stoplicht is Stoplicht.GEREALISEERD for p in r.overzicht.projecten)


def scenario_submappen(o: Omgeving) -> None:
    # Teams may file fiches in subfolders of the fiche folder; they count and show their path.
    o.zet("emmen-noord.xlsx", fiche_bytes(0), t(2026, 11, 1))
    o.zet("Zuid/bargermeer.xlsx", fiche_bytes(1), t(2026, 11, 1))
    o.zet("Zuid/Hoogeveen/waterstof.xlsx", fiche_bytes(5), t(2026, 11, 1))
    r = sync(o)
    assert r.tellingen.geaccepteerd == 3
    assert sorted(p.bron_naam for p in r.overzicht.projecten) == [
        "Zuid/Hoogeveen/waterstof.xlsx", "Zuid/bargermeer.xlsx", "emmen-noord.xlsx"]
    # A changed fiche in a subfolder is read again, and only that one.
    o.zet("Zuid/bargermeer.xlsx", fiche_bytes(1, toelichting="Bijgewerkt"), t(2026, 11, 5))
    r = sync(o)
    assert (r.tellingen.gelezen, r.tellingen.geaccepteerd) == (1, 1)
    # The whole subfolder removed: both of its fiches are noticed as deleted.
    o.verwijder("Zuid")
    r = sync(o)
    assert r.tellingen.verwijderd == 2
    assert [p.bron_naam for p in r.overzicht.projecten] == ["emmen-noord.xlsx"]
    assert sorted(m.bron_naam for m in meldingen(r, "verwijderd")) == [
        "Zuid/Hoogeveen/waterstof.xlsx", "Zuid/bargermeer.xlsx"]


def scenario_andere_nabij_kleurt_opnieuw(o: Omgeving) -> None:
    """`sync.nabij_maanden` changed: the next run judges the unchanged fiches again with it
    (reading them once more), then reads nothing until a fiche or the setting changes again."""
    # Prognose 4.5 months after the ondergrens: Risico with 3 months' tolerance, Op planning with 6.
    o.zet("emmen-noord.xlsx", fiche_bytes(0, ibn_ondergrens=dt.date(2031, 1, 1), ibn_bovengrens=dt.date(2032, 12, 31),
                                          ibn_prognose=dt.date(2031, 5, 15)), t(2026, 11, 10))
    o.zet("bargermeer.xlsx", fiche_bytes(1), t(2026, 11, 10))
    r = sync(o)
    licht = {p.bron_naam: p.stoplicht for p in r.overzicht.projecten}
    assert licht["emmen-noord.xlsx"] is Stoplicht.RISICO
    ruimer = dataclasses.replace(o.config(), sync=dataclasses.replace(o.config().sync, nabij_maanden=6))
    r = sync_eenmalig(ruimer, peildatum=VANDAAG, voortgang=False)
    assert (r.tellingen.gelezen, r.tellingen.ongewijzigd) == (2, 0)
    assert {p.bron_naam: p.stoplicht for p in r.overzicht.projecten}["emmen-noord.xlsx"] is Stoplicht.OP_PLANNING
    r = sync_eenmalig(ruimer, peildatum=VANDAAG, voortgang=False)
    assert r.tellingen.gelezen == 0 and not r.master_herschreven  # (a delta listing names no file at all)
    r = sync(o)  # back to the default: judged again, the old light returns
    assert r.tellingen.gelezen == 2
    assert {p.bron_naam: p.stoplicht for p in r.overzicht.projecten} == licht


SCENARIOS = [
    scenario_andere_nabij_kleurt_opnieuw, scenario_ongeldig_houdt_laatste_geldige, scenario_ongewijzigd_leest_niets,
    scenario_verwijderd, scenario_dubbel, scenario_vreemde_bestanden, scenario_elk_formaat,
    scenario_trend_en_historie, scenario_verouderd_en_voorzitter, scenario_submappen,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.removeprefix("scenario_"))
def test_scenario(bron, scenario) -> None:
    scenario(bron)


# --- folder-only details --------------------------------------------------------------------

def test_a_master_written_inside_the_fiche_folder_is_not_read_as_a_fiche(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    config = config_voor_map(o.map, tmp_path / "pmiek.sqlite", o.map / "master.xlsx")
    for _ in range(2):
        r = sync_eenmalig(config, peildatum=VANDAAG, voortgang=False)
        assert (r.tellingen.gezien, r.overzicht.datakwaliteit) == (1, [])
    assert (o.map / "master.xlsx").is_file()


def test_a_report_outbox_inside_the_fiche_folder_is_not_read_as_fiches(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    (o.map / "outbox").mkdir()
    (o.map / "outbox" / "pmiek-kwartaaloverzicht-2026Q4.eml").write_bytes(b"From: pmiek@drenthe.nl\r\n\r\nx")
    config = config_voor_map(o.map, tmp_path / "pmiek.sqlite", tmp_path / "master.xlsx")
    config.report = dataclasses.replace(config.report, outbox=o.map / "outbox")
    r = sync_eenmalig(config, peildatum=VANDAAG, voortgang=False)
    assert (r.tellingen.gezien, r.overzicht.datakwaliteit) == (1, [])
    # Sent some other way, a folder of that name is a partner's, and counted as usual.
    config.report = dataclasses.replace(config.report, transport="smtp")
    r = sync_eenmalig(config, peildatum=VANDAAG, voortgang=False)
    assert (r.tellingen.gezien, r.tellingen.geweigerd) == (2, 1)


def test_a_folder_that_suddenly_lists_nothing_is_not_taken_at_its_word(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    for nr, naam in enumerate(("a.xlsx", "b.xlsx", "c.xlsx")):
        o.zet(naam, fiche_bytes(nr), t(2026, 11, 1))
    eerste = sync(o)
    master = eerste.master.read_bytes()
    # The share is not mounted: the mount point is an empty folder.
    o.map.rename(tmp_path / "elders")
    o.map.mkdir()
    with pytest.raises(InputError) as fout:
        sync_eenmalig(o.config(), peildatum=VANDAAG, voortgang=False)
    assert "geen enkele fiche" in fout.value.melding and "3 bekend" in fout.value.melding
    assert "--allow-empty-source" in fout.value.melding
    assert eerste.master.read_bytes() == master  # the master still shows both projects
    store = open_store(o.config().store_url)
    try:
        assert len(bouw_overzicht(store, VANDAAG).projecten) == 3
        assert store.runs(1)[0].status == "fout"
    finally:
        store.close()
    # Back online: nothing was lost, nothing is read again.
    (tmp_path / "fiches").rmdir()
    (tmp_path / "elders").rename(tmp_path / "fiches")
    r = sync(o)
    assert (r.tellingen.verwijderd, r.tellingen.gelezen, len(r.overzicht.projecten)) == (0, 0, 3)
    # Really all gone, confirmed by the operator.
    for naam in ("a.xlsx", "b.xlsx", "c.xlsx"):
        o.verwijder(naam)
    r = sync_eenmalig(o.config(), peildatum=VANDAAG, voortgang=False, lege_bron_toestaan=True)
    assert r.tellingen.verwijderd == 3 and r.overzicht.projecten == []


def test_map_skips_lock_temp_and_system_files(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("fiche.xlsx", fiche_bytes(0), t(2026, 11, 1))
    o.zet("~$fiche.xlsx", b"owner", t(2026, 11, 1))
    o.zet(".~lock.fiche.xlsx#", b"lo lock", t(2026, 11, 1))
    o.zet("fiche.tmp", b"x", t(2026, 11, 1))
    o.zet("3F2A9C01", b"excel slaat op", t(2026, 11, 1))
    o.zet(".verborgen.xlsx", fiche_bytes(2), t(2026, 11, 1))
    o.zet("Thumbs.db", b"x", t(2026, 11, 1))
    o.zet("desktop.ini", b"x", t(2026, 11, 1))
    (o.map / "sub").mkdir()
    o.zet("sub/tweede.xlsx", fiche_bytes(1), t(2026, 11, 1))
    o.zet("sub/notities.txt", b"bellen met de netbeheerder", t(2026, 11, 1))
    r = sync(o)
    assert r.tellingen.gezien == 3 and r.tellingen.geaccepteerd == 2
    [m] = r.overzicht.datakwaliteit
    assert m.bron_naam == "sub/notities.txt" and "tekstbestand" in m.melding


def test_touched_file_is_downloaded_but_not_read_again(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("fiche.xlsx", fiche_bytes(0), t(2026, 11, 1))
    sync(o)
    o.zet("fiche.xlsx", fiche_bytes(0), t(2026, 11, 9))  # same bytes, new mtime: new eTag
    r = sync(o)
    assert (r.tellingen.gedownload, r.tellingen.gelezen, r.tellingen.ongewijzigd) == (1, 0, 1)
    assert len(versies(o)) == 1


def test_progress_bar_only_when_asked(tmp_path, capsys) -> None:
    o = MapOmgeving(tmp_path)
    for i in range(3):
        o.zet(f"f{i}.xlsx", fiche_bytes(i), t(2026, 11, 1))
    sync_eenmalig(o.config(), peildatum=VANDAAG, voortgang=True)
    assert "Fiches" in capsys.readouterr().err
    o.zet("f0.xlsx", fiche_bytes(3), t(2026, 11, 2))
    sync_eenmalig(o.config(), peildatum=VANDAAG, voortgang=None)  # stderr is no terminal here
    assert "Fiches" not in capsys.readouterr().err

