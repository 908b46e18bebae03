"""A moved fiche folder keeps its history (issue 15): the config pointed at the folder's new place
is no wave of "Dubbele fiche" findings; unchanged files stay unchanged, their links follow the
move, and a file the new place lacks is marked deleted. Also for a store of the previous schema
version, whose source key still named the old absolute path. Real `pmiek sync` processes."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sync.config import laad_config
from sync.overzicht_bouw import bouw_overzicht
from sync.store import open_store

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))

pytestmark = pytest.mark.subprocess


def config(map_: Path, fiches: Path) -> Path:
    pad = map_ / "pmiek.toml"
    pad.write_text(f'[source]\npath = "{fiches}"\n[store]\npath = "pmiek.sqlite"\n[master]\npath = "master/m.xlsx"\n',
                   encoding="utf-8")
    return pad


def sync(pad: Path) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "sync", "--config", str(pad), "--no-progress"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r


def meldingen(pad: Path) -> list[tuple[str, str]]:
    store = open_store(laad_config(pad).store_url)
    try:
        return [(m.soort, m.bron_naam) for m in bouw_overzicht(store, dt.date(2026, 12, 31)).datakwaliteit]
    finally:
        store.close()


def db(map_: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(map_ / "pmiek.sqlite")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("vorige_versie", [False, True], ids=["store", "store-van-schemaversie-5"])
def test_moved_folder_is_not_a_wave_of_duplicates(tmp_path, vorige_versie) -> None:
    oud = tmp_path / "share-oud" / "fiches"
    oud.mkdir(parents=True)
    for voorbeeld in VOORBEELDEN:
        shutil.copy2(voorbeeld, oud / voorbeeld.name)
    pad = config(tmp_path, oud)
    sync(pad)
    voor = meldingen(pad)
    assert not any(soort == "dubbel" for soort, _ in voor)
    versies_voor = db(tmp_path, "SELECT count(*) FROM fiche_versies")[0][0]
    if vorige_versie:
        # What an earlier pMIEK left: the source keyed by its absolute path, schema version 5.
        con = sqlite3.connect(tmp_path / "pmiek.sqlite")
        con.execute("UPDATE bronnen SET sleutel = ?", (f"folder {oud.resolve()}",))
        con.execute("DELETE FROM pmiek_schema_versie WHERE versie > 5")
        con.commit()
        con.close()

    # The share is reorganised: the folder moves (mtimes kept), one fiche is left behind.
    nieuw = tmp_path / "share-nieuw" / "2027" / "fiches"
    nieuw.parent.mkdir(parents=True)
    shutil.move(str(oud), str(nieuw))
    achtergelaten = VOORBEELDEN[0].name
    (nieuw / achtergelaten).unlink()
    pad = config(tmp_path, nieuw)
    r = sync(pad)
    n = len(VOORBEELDEN)
    assert f"{n - 1} fiches in de bron, 0 gelezen" in r.stdout and "1 verwijderd" in r.stdout, r.stdout

    na = meldingen(pad)
    assert not any(soort == "dubbel" for soort, _ in na), na
    assert ("verwijderd", achtergelaten) in na
    assert db(tmp_path, "SELECT sleutel FROM bronnen") == [("folder",)]
    # Nothing read again: one new version, the deletion; links follow the move.
    assert db(tmp_path, "SELECT count(*) FROM fiche_versies")[0][0] == versies_voor + 1
    links = {row[0] for row in db(tmp_path, f"SELECT link FROM fiche_versies WHERE item_id != '{achtergelaten}'")}
    assert links and all(link.startswith(nieuw.resolve().as_uri()) for link in links), links


def test_an_old_location_left_by_an_earlier_version_is_marked_gone(tmp_path) -> None:
    """Two sources of an earlier version (the folder was moved before this fix): the older one's
    live files are where the folder used to be, and the next sync marks them deleted."""
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    for voorbeeld in VOORBEELDEN:
        shutil.copy2(voorbeeld, fiches / voorbeeld.name)
    pad = config(tmp_path, fiches)
    sync(pad)
    con = sqlite3.connect(tmp_path / "pmiek.sqlite")
    con.execute("UPDATE bronnen SET sleutel = 'folder /mnt/oude-share/fiches'")
    con.commit()
    con.close()
    r = sync(pad)  # a new source "folder": every file new there, the old source's files gone
    n = len(VOORBEELDEN)
    assert f"{n} verwijderd" in r.stdout, r.stdout
    assert not any(soort == "dubbel" for soort, _ in meldingen(pad))
    r = sync(pad)
    assert "0 verwijderd" in r.stdout and f"{n} ongewijzigd" in r.stdout


def test_sharepoint_source_pointed_at_another_folder_keeps_its_files(graph_verbinding, graph_stub, tmp_path) -> None:
    """SharePoint knows a file by its driveItem id, which a move keeps: the source's key names the
    site, not the folder, and the cursor of the old folder is not applied to the new one (a full
    listing instead), so the moved files stay the same files and the one left behind is gone."""
    from sync.bron.sharepoint import SharePointBron
    from sync.config import sqlite_url
    from sync.intake import verwerk

    namen = [p.name for p in VOORBEELDEN[:3]]
    ids = {naam: graph_stub.bestand_zetten(f"Fiches/{naam}", pad.read_bytes()) for naam, pad in zip(namen, VOORBEELDEN)}
    store = open_store(sqlite_url(tmp_path / "s.sqlite"))
    try:
        peildatum = dt.date(2026, 12, 2)
        run = store.start_run("sharepoint", "handmatig", None)
        eerste = verwerk(store, SharePointBron(graph_verbinding, site=graph_stub.site, folder="Fiches"), "sharepoint",
                         run, peildatum, 6, voortgang=False)
        assert eerste.tellingen.geaccepteerd == 3
        for naam in namen[:2]:
            graph_stub.bestand_verplaatsen(f"Fiches/{naam}", "Monitoring/2027")
        run = store.start_run("sharepoint", "handmatig", None)
        tweede = verwerk(store, SharePointBron(graph_verbinding, site=graph_stub.site, folder="Monitoring/2027"),
                         "sharepoint", run, peildatum, 6, voortgang=False)
        t = tweede.tellingen
        assert (t.gezien, t.gelezen, t.ongewijzigd, t.verwijderd) == (2, 0, 2, 1)
        overzicht = bouw_overzicht(store, dt.date(2026, 12, 31))
        assert not any(m.soort == "dubbel" for m in overzicht.datakwaliteit)
        assert ("verwijderd", namen[2]) in [(m.soort, m.bron_naam) for m in overzicht.datakwaliteit]
        with store.engine.connect() as conn:
            from sqlalchemy import text
            assert conn.execute(text("SELECT sleutel FROM bronnen")).all() == [(f"sharepoint {graph_stub.site}",)]
            levend = {r[0] for r in conn.execute(text("SELECT item_id FROM bestanden WHERE verwijderd IS NULL"))}
        assert levend == {ids[n] for n in namen[:2]}
    finally:
        store.close()
