"""Nothing changed, nothing written (issue 14): a sync run whose snapshot equals the one behind
the current master leaves the master, its published copy and the SharePoint upload alone; a
change, a deleted master or copy, another peildatum or another layout rebuilds."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from test_graph_scenarios import MASTER_NAAM, GraphOmgeving
from test_sync_scenarios import VANDAAG, MapOmgeving, fiche_bytes, klok, sync, t  # noqa: F401 - klok: the clock

from pmiek.cli import main as pmiek_main
from sync.config import MasterConfig
from sync.lijsten.instellingen import LijstenConfig
from sync.master import vingerafdruk
from sync.synchronisatie import MASTER_ONGEWIJZIGD, sync_eenmalig

#: An example project list (scripts/build_lijsten.py): TenneT's IP of 2026.
VOORBEELDLIJST = (Path(__file__).resolve().parents[1] / "workbook_templates" / "examples" / "lijsten"
                  / "ip_TenneT_IP2026_2026-06-30_voorbeeld.csv")


def _stand(pad):
    st = pad.stat()
    return st.st_ino, st.st_mtime_ns, pad.read_bytes()


def _omgeving(tmp_path) -> MapOmgeving:
    o = MapOmgeving(tmp_path)
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    o.zet("b.xlsx", fiche_bytes(5), t(2026, 11, 1))
    return o


def test_second_sync_with_nothing_changed_leaves_the_master_and_says_so(tmp_path, capsys) -> None:
    o = _omgeving(tmp_path)
    eerste = sync(o)
    assert eerste.master_herschreven and MASTER_ONGEWIJZIGD not in (eerste.melding or "")
    voor = _stand(eerste.master)

    tweede = sync(o)
    assert not tweede.master_herschreven and tweede.master == eerste.master
    assert _stand(tweede.master) == voor  # same file, same mtime, same bytes
    assert tweede.melding == MASTER_ONGEWIJZIGD
    assert len(tweede.overzicht.projecten) == 2

    # The run is recorded, and `pmiek status` says the master was left as it was.
    capsys.readouterr()
    pmiek_main(["status", "--store", str(o.config().store_path), "--count", "1"])
    uit = capsys.readouterr().out
    assert "run 2: geslaagd" in uit and MASTER_ONGEWIJZIGD in uit


def test_a_new_version_rebuilds_the_master(tmp_path) -> None:
    o = _omgeving(tmp_path)
    voor = _stand(sync(o).master)
    o.zet("a.xlsx", fiche_bytes(0, toelichting="Nieuwe toelichting"), t(2026, 11, 9))
    r = sync(o)
    assert r.tellingen.geaccepteerd == 1 and r.master_herschreven
    assert _stand(r.master)[2] != voor[2] and MASTER_ONGEWIJZIGD not in (r.melding or "")
    # ... and the run after that has nothing to do again.
    assert not sync(o).master_herschreven


def test_a_newly_imported_list_rebuilds_the_master_and_an_unchanged_one_does_not(tmp_path) -> None:
    """The watched lists folder (issue 10): a new list changes the snapshot without any new fiche
    version, so the master is rebuilt; the same list on the next run is not imported again and
    leaves the master alone."""
    o = _omgeving(tmp_path)
    lijsten = tmp_path / "lijsten"
    lijsten.mkdir()
    config = o.config()
    config.lijsten = LijstenConfig(map=lijsten)

    def run():
        r = sync_eenmalig(config, peildatum=VANDAAG, voortgang=False)
        assert r.status == "ok"
        return r

    eerste = run()
    assert eerste.master_herschreven and not any(p.is_lijstproject for p in eerste.overzicht.projecten)
    shutil.copyfile(VOORBEELDLIJST, lijsten / VOORBEELDLIJST.name)
    tweede = run()
    assert tweede.tellingen.geaccepteerd == 0 and tweede.master_herschreven
    assert any(p.is_lijstproject for p in tweede.overzicht.projecten)
    voor = _stand(tweede.master)
    derde = run()
    assert not derde.master_herschreven and _stand(derde.master) == voor
    assert MASTER_ONGEWIJZIGD in (derde.melding or "")


def test_a_deleted_or_replaced_master_is_rebuilt(tmp_path) -> None:
    o = _omgeving(tmp_path)
    master = sync(o).master
    goed = master.read_bytes()
    master.unlink()
    r = sync(o)
    assert r.master_herschreven and master.is_file()
    # Someone put another file in its place (an old copy, a hand-edited one): rebuilt as well.
    master.write_bytes(goed[:-10] + b"0123456789")
    assert sync(o).master_herschreven
    assert not sync(o).master_herschreven


def test_another_peildatum_rebuilds_the_master(tmp_path) -> None:
    o = _omgeving(tmp_path)
    sync(o)
    r = sync(o, peildatum=VANDAAG + dt.timedelta(days=1))
    assert r.master_herschreven
    assert not sync(o, peildatum=VANDAAG + dt.timedelta(days=1)).master_herschreven


def test_another_layout_or_pmiek_version_rebuilds_the_master(tmp_path, monkeypatch) -> None:
    o = _omgeving(tmp_path)
    sync(o)
    assert not sync(o).master_herschreven
    # A new pMIEK (or a new master layout) gives a new fingerprint for the same snapshot.
    monkeypatch.setattr(vingerafdruk, "LAYOUT_VERSIE", vingerafdruk.LAYOUT_VERSIE + "-nieuw")
    vingerafdruk.layout.cache_clear()
    try:
        assert sync(o).master_herschreven
        assert not sync(o).master_herschreven
    finally:
        monkeypatch.undo()
        vingerafdruk.layout.cache_clear()


def test_fingerprint_follows_content_peildatum_and_not_the_generation_time() -> None:
    from sample_overzicht import sample_overzicht

    a, b = sample_overzicht(), sample_overzicht()
    b.gegenereerd += dt.timedelta(hours=3)
    assert vingerafdruk.vingerafdruk(a) == vingerafdruk.vingerafdruk(b)
    b.peildatum += dt.timedelta(days=1)
    assert vingerafdruk.vingerafdruk(a) != vingerafdruk.vingerafdruk(b)
    c = sample_overzicht()
    c.projecten[3].toelichting = "Anders"
    assert vingerafdruk.vingerafdruk(a) != vingerafdruk.vingerafdruk(c)


def test_published_copy_in_a_folder_is_left_alone_and_restored_when_deleted(tmp_path) -> None:
    o = _omgeving(tmp_path)
    gedeeld = tmp_path / "gedeeld"
    config = o.config()
    config.master = MasterConfig(path=config.master.path, publish="folder", publish_folder=gedeeld)
    o.config = lambda: config  # type: ignore[method-assign]
    sync(o)
    kopie = gedeeld / config.master.path.name
    voor = _stand(kopie)
    r = sync(o)
    assert not r.master_herschreven and _stand(kopie) == voor and r.melding == MASTER_ONGEWIJZIGD
    kopie.unlink()
    r = sync(o)
    # The local master is current; only the copy is written again.
    assert not r.master_herschreven and kopie.read_bytes() == r.master.read_bytes()
    assert "gepubliceerd" in r.melding


def test_sharepoint_gets_no_upload_when_nothing_changed(graph_stub, tmp_path) -> None:
    o = GraphOmgeving(graph_stub, tmp_path)
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    stub = graph_stub
    eerste = sync(o)
    assert stub.inhoud(f"Monitoring/{MASTER_NAAM}") == eerste.master.read_bytes()
    uploads = len(stub.uploads)
    voor = _stand(eerste.master)

    r = sync(o)
    assert not r.master_herschreven and _stand(r.master) == voor
    assert len(stub.uploads) == uploads  # no PUT, no upload session
    assert stub.tel("PUT", r"/content$") == uploads

    # The copy in the library was deleted: uploaded again, the local master still not rebuilt.
    stub.bestand_verwijderen(f"Monitoring/{MASTER_NAAM}")
    r = sync(o)
    assert not r.master_herschreven and len(stub.uploads) == uploads + 1
    assert stub.inhoud(f"Monitoring/{MASTER_NAAM}") == r.master.read_bytes()
    assert len(sync(o).master.read_bytes()) and len(stub.uploads) == uploads + 1

    # A new fiche: rebuilt and uploaded.
    o.zet("b.xlsx", fiche_bytes(1), t(2026, 11, 3))
    r = sync(o)
    assert r.master_herschreven and len(stub.uploads) == uploads + 2
    assert stub.inhoud(f"Monitoring/{MASTER_NAAM}") == r.master.read_bytes()
    assert os.path.isfile(r.master)
