"""Publishing the master: into a folder, and into SharePoint through the real office365 client
against the local Graph stub (simple upload, upload session, 423, 412, 429)."""

from __future__ import annotations

import logging
import os
import time

import pytest

from graphstub import CHUNK_EENHEID
from sync.publiceren import MapPublicatie, SharePointPublicatie


@pytest.fixture
def master(tmp_path):
    pad = tmp_path / "lokaal" / "pMIEK-master.xlsx"
    pad.parent.mkdir()
    pad.write_bytes(b"PK\x03\x04" + os.urandom(200_000))
    return pad


def _publicatie(verbinding, stub, **kw) -> SharePointPublicatie:
    stub.map_maken("Monitoring")
    return SharePointPublicatie(verbinding, site=stub.site, folder="Monitoring", **kw)


def test_map_publicatie_writes_atomically(master, tmp_path):
    doel = tmp_path / "share" / "Monitoring"
    res = MapPublicatie(doel).publiceer(master)
    assert res.gelukt and not res.opnieuw_proberen
    assert (doel / master.name).read_bytes() == master.read_bytes()
    assert [p.name for p in doel.iterdir()] == [master.name]  # no temp file left behind
    master.write_bytes(b"tweede versie")
    MapPublicatie(doel, bestandsnaam="master.xlsx").publiceer(master)
    assert (doel / "master.xlsx").read_bytes() == b"tweede versie"


def test_small_master_is_one_put(graph_verbinding, graph_stub, master):
    res = _publicatie(graph_verbinding, graph_stub).publiceer(master)
    assert res.gelukt, res.melding
    assert [u.wijze for u in graph_stub.uploads] == ["simpel"]
    assert graph_stub.inhoud(f"Monitoring/{master.name}") == master.read_bytes()
    assert res.etag == graph_stub.item(f"Monitoring/{master.name}").etag
    assert res.doel.startswith("https://contoso.sharepoint.com/sites/pMIEK/")


def test_large_master_goes_through_an_upload_session_in_320k_chunks(graph_verbinding, graph_stub, master):
    data = os.urandom(4 * 1024 * 1024 + 777_777)
    master.write_bytes(data)
    res = _publicatie(graph_verbinding, graph_stub, chunk_grootte=4 * CHUNK_EENHEID).publiceer(master)
    assert res.gelukt, res.melding
    upload = graph_stub.uploads[-1]
    assert upload.wijze == "sessie"
    assert len(upload.chunks) == -(-len(data) // (4 * CHUNK_EENHEID)) == 4
    assert all(c % CHUNK_EENHEID == 0 for c in upload.chunks[:-1])
    assert upload.inhoud == data == graph_stub.inhoud(f"Monitoring/{master.name}")
    # the chunks went to the pre-authenticated URL without our token (the stub answers 401 otherwise)
    assert graph_stub.tel("PUT", r"^/_upload/") == 4
    assert graph_stub.tel("PUT", r"/content$") == 0


def test_default_chunk_size_is_a_320k_multiple_and_other_sizes_are_refused(graph_verbinding, graph_stub, master):
    master.write_bytes(os.urandom(11 * 1024 * 1024))
    assert _publicatie(graph_verbinding, graph_stub).publiceer(master).gelukt
    assert all(c % CHUNK_EENHEID == 0 for c in graph_stub.uploads[-1].chunks[:-1])
    assert len(graph_stub.uploads[-1].chunks) == 3
    with pytest.raises(ValueError):
        _publicatie(graph_verbinding, graph_stub, chunk_grootte=2_000_000)


@pytest.mark.parametrize("grootte", [200_000, 5 * 1024 * 1024])
def test_locked_master_423_keeps_the_local_copy_and_names_the_lock_owner(graph_verbinding, graph_stub, master, caplog, grootte):
    data = os.urandom(grootte)
    master.write_bytes(data)
    graph_stub.bestand_zetten(f"Monitoring/{master.name}", b"oude master")
    graph_stub.vergrendel(f"Monitoring/{master.name}", "Jan de Vries")
    publicatie = _publicatie(graph_verbinding, graph_stub)

    with caplog.at_level(logging.WARNING, logger="pmiek.sync.publiceren"):
        res = publicatie.publiceer(master)
    assert not res.gelukt and res.opnieuw_proberen
    assert res.vergrendeld_door == "Jan de Vries"
    assert "Jan de Vries" in res.melding and "volgende run" in res.melding
    regel = next(r for r in caplog.records if "locked" in r.getMessage())
    assert regel.fields["lock_owner"] == "Jan de Vries"
    assert master.read_bytes() == data  # the new local master is kept
    assert graph_stub.inhoud(f"Monitoring/{master.name}") == b"oude master"

    graph_stub.ontgrendel(f"Monitoring/{master.name}")  # closed in Excel: the next run succeeds
    assert publicatie.publiceer(master).gelukt
    assert graph_stub.inhoud(f"Monitoring/{master.name}") == data


def test_412_changed_in_sharepoint_is_replaced_and_reported(graph_verbinding, graph_stub, master, caplog):
    publicatie = _publicatie(graph_verbinding, graph_stub)
    eerste = publicatie.publiceer(master)
    graph_stub.bestand_zetten(f"Monitoring/{master.name}", b"iemand heeft dit bewerkt")

    with caplog.at_level(logging.WARNING, logger="pmiek.sync.publiceren"):
        tweede = publicatie.publiceer(master, vorige_etag=eerste.etag)
    assert tweede.gelukt and tweede.overschreven
    assert "versiegeschiedenis" in tweede.melding
    assert any("412" in r.getMessage() for r in caplog.records)
    assert graph_stub.inhoud(f"Monitoring/{master.name}") == master.read_bytes()
    pogingen = [v for v in graph_stub.verzoeken if v.methode == "PUT" and v.pad.endswith("/content")]
    assert pogingen[-2].headers.get("if-match") == eerste.etag and "if-match" not in pogingen[-1].headers

    # with the current eTag there is no conflict
    derde = publicatie.publiceer(master, vorige_etag=tweede.etag)
    assert derde.gelukt and not derde.overschreven


def test_throttled_chunk_is_retried_after_retry_after(graph_verbinding, graph_stub, master, caplog):
    master.write_bytes(os.urandom(5 * 1024 * 1024))
    publicatie = _publicatie(graph_verbinding, graph_stub, chunk_grootte=8 * CHUNK_EENHEID)
    publicatie.map_id  # noqa: B018
    graph_stub.fout_injecteren("PUT", r"^/_upload/", 429, headers={"Retry-After": "1"})
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.graph"):
        start = time.monotonic()
        res = publicatie.publiceer(master)
        duur = time.monotonic() - start
    assert res.gelukt, res.melding
    assert duur >= 1.0
    assert graph_stub.uploads[-1].inhoud == master.read_bytes()
    assert any(r.fields.get("what", "").startswith("upload chunk") and r.fields["status"] == 429
               for r in caplog.records if hasattr(r, "fields"))


def test_lost_chunk_answer_resumes_from_the_next_expected_range(graph_verbinding, graph_stub, master):
    master.write_bytes(os.urandom(5 * 1024 * 1024))
    publicatie = _publicatie(graph_verbinding, graph_stub, chunk_grootte=8 * CHUNK_EENHEID)
    publicatie.map_id  # noqa: B018
    graph_stub.fout_injecteren("PUT", r"^/_upload/", 416)
    res = publicatie.publiceer(master)
    assert res.gelukt, res.melding
    assert graph_stub.tel("GET", r"^/_upload/") == 1
    assert graph_stub.uploads[-1].inhoud == master.read_bytes()


def test_failed_upload_session_is_cancelled_and_reported_for_the_next_run(graph_verbinding, graph_stub, master):
    master.write_bytes(os.urandom(5 * 1024 * 1024))
    publicatie = _publicatie(graph_verbinding, graph_stub)
    publicatie.map_id  # noqa: B018
    graph_stub.fout_injecteren("PUT", r"^/_upload/", 500, aantal=20, headers={"Retry-After": "0"})
    res = publicatie.publiceer(master)
    assert not res.gelukt and res.opnieuw_proberen
    assert graph_stub.geannuleerde_sessies == 1
    assert graph_stub.uploads == []
