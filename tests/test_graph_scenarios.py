"""The sync scenarios of `test_sync_scenarios.py`, run against the SharePoint source: a TOML
config pointing at the local Graph/token stub, the real msal and office365 client, a real SQLite
store, and the master uploaded back into the library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_sync_scenarios import SCENARIOS, fiche_bytes, klok, sync, t  # noqa: F401 - klok: the scenarios' clock

from sync.config import Config, laad_config

MASTER_NAAM = "pMIEK-monitoring.xlsx"


class GraphOmgeving:
    """The SharePoint source on the stub: fiches in the library's folder "Fiches"."""

    soort = "sharepoint"

    def __init__(self, stub, tmp_path: Path) -> None:
        self.stub = stub
        stub.map_maken("Fiches")
        stub.map_maken("Monitoring")
        self.master = tmp_path / "master" / MASTER_NAAM
        self.pad = tmp_path / "pmiek.toml"
        self.pad.write_text(f"""
[source]
type = "sharepoint"
tenant_id = "{stub.tenant_id}"
client_id = "{stub.client_id}"
site = "{stub.site}"
folder = "Fiches"
secret_env = "PMIEK_TEST_GRAPH_SECRET"
authority_host = "{stub.url}"
graph_url = "{stub.url}"
ca_bundle = "{stub.pki.ca_pem.as_posix()}"
timeout = 10
max_retries = 3

[store]
path = "{(tmp_path / 'pmiek.sqlite').as_posix()}"

[master]
path = "{self.master.as_posix()}"
publish = "sharepoint"
upload_folder = "Monitoring"
""", encoding="utf-8")

    def zet(self, naam: str, inhoud: bytes, gewijzigd: dt.datetime) -> None:
        self.stub.bestand_zetten(f"Fiches/{naam}", inhoud, gewijzigd=gewijzigd)

    def verwijder(self, naam: str) -> None:
        self.stub.bestand_verwijderen(f"Fiches/{naam}")

    def config(self) -> Config:
        return laad_config(self.pad)


@pytest.fixture
def graph_omgeving(graph_stub, tmp_path) -> GraphOmgeving:
    return GraphOmgeving(graph_stub, tmp_path)


# "unchanged reads nothing" counts differently on a delta source (nothing is even listed): below
BRONONAFHANKELIJK = [s for s in SCENARIOS if s.__name__ != "scenario_ongewijzigd_leest_niets"]


@pytest.mark.parametrize("scenario", BRONONAFHANKELIJK, ids=lambda f: f.__name__.removeprefix("scenario_"))
def test_scenario_on_sharepoint(graph_omgeving, scenario) -> None:
    scenario(graph_omgeving)
    # every run also published the master into the library
    assert graph_omgeving.stub.inhoud(f"Monitoring/{MASTER_NAAM}") == graph_omgeving.master.read_bytes()


def test_unchanged_library_downloads_nothing(graph_omgeving) -> None:
    o, stub = graph_omgeving, graph_omgeving.stub
    for nr in range(3):
        o.zet(f"fiche-{nr}.xlsx", fiche_bytes(nr), t(2026, 11, 1 + nr))
    r1 = sync(o)
    assert (r1.tellingen.gezien, r1.tellingen.gedownload, r1.tellingen.gelezen) == (3, 3, 3)
    downloads = stub.tel("GET", r"^/_download/")
    assert downloads == 3

    r2 = sync(o)
    assert (r2.tellingen.gedownload, r2.tellingen.gelezen, r2.tellingen.geaccepteerd) == (0, 0, 0)
    assert stub.tel("GET", r"^/_download/") == downloads
    assert [p.projectnaam for p in r2.overzicht.projecten] == [p.projectnaam for p in r1.overzicht.projecten]

    o.zet("fiche-1.xlsx", fiche_bytes(1, toelichting="Nieuwe toelichting"), t(2026, 11, 12))
    r3 = sync(o)
    assert (r3.tellingen.gezien, r3.tellingen.gedownload, r3.tellingen.geaccepteerd) == (1, 1, 1)
    assert stub.tel("GET", r"^/_download/") == downloads + 1


def test_expired_delta_token_resyncs_and_notices_a_deletion(graph_omgeving) -> None:
    o, stub = graph_omgeving, graph_omgeving.stub
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    o.zet("b.xlsx", fiche_bytes(1), t(2026, 11, 1))
    sync(o)
    o.verwijder("b.xlsx")
    stub.tokens_laten_verlopen()
    r = sync(o)
    # the full enumeration after 410 is authoritative: b.xlsx is gone, a.xlsx was not downloaded again
    assert r.tellingen.verwijderd == 1 and r.tellingen.gedownload == 0
    assert len(r.overzicht.projecten) == 1


def test_master_locked_in_excel_keeps_local_copy_and_next_run_uploads(graph_omgeving) -> None:
    o, stub = graph_omgeving, graph_omgeving.stub
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    sync(o)
    stub.vergrendel(f"Monitoring/{MASTER_NAAM}", "Petra Projectleider")
    o.zet("b.xlsx", fiche_bytes(1), t(2026, 11, 2))
    r = sync(o)
    assert "Petra Projectleider" in r.melding and "volgende run" in r.melding
    assert o.master.is_file()
    assert stub.inhoud(f"Monitoring/{MASTER_NAAM}") != o.master.read_bytes()
    stub.ontgrendel(f"Monitoring/{MASTER_NAAM}")
    sync(o)
    assert stub.inhoud(f"Monitoring/{MASTER_NAAM}") == o.master.read_bytes()


def test_master_edited_in_sharepoint_is_noticed_through_its_etag(graph_omgeving) -> None:
    o, stub = graph_omgeving, graph_omgeving.stub
    o.zet("a.xlsx", fiche_bytes(0), t(2026, 11, 1))
    sync(o)
    stub.bestand_zetten(f"Monitoring/{MASTER_NAAM}", b"handmatig aangepast")
    r = sync(o)
    assert "versiegeschiedenis" in r.melding
    assert stub.inhoud(f"Monitoring/{MASTER_NAAM}") == o.master.read_bytes()
    assert "versiegeschiedenis" not in (sync(o).melding or "")
