"""The SharePoint fiche source against the local Graph stub, through the real office365 client
and real msal: delta paging, delta links, 410, deletions, folder filtering, duplicates, download,
throttling."""

from __future__ import annotations

import json
import logging
import time

import pytest

from fiche.errors import ConfigError, FileRefused, RemoteError
from sync.bron.sharepoint import SharePointBron
from sync.graph import GraphVerbinding


def _bron(verbinding, stub, folder="Fiches") -> SharePointBron:
    return SharePointBron(verbinding, site=stub.site, folder=folder)


def _vul(stub) -> dict[str, str]:
    ids = {naam: stub.bestand_zetten(f"Fiches/{naam}", f"inhoud {naam}".encode())
           for naam in ("emmen-noord.xlsx", "bargermeer.xlsx", "zeijerveen.xlsx")}
    stub.bestand_zetten("Archief/oud.xlsx", b"archief")  # another folder: not a fiche here
    stub.bestand_zetten("Fiches/Thumbs.db", b"windows thumbnail cache")
    stub.bestand_zetten("Fiches/~$emmen-noord.xlsx", b"office lock file")
    ids["Sub/dieper.xlsx"] = stub.bestand_zetten("Fiches/Sub/dieper.xlsx", b"subfolder")  # counts too
    return ids


def test_full_listing_over_pages_then_delta_link_gives_only_changes(graph_verbinding, graph_stub):
    ids = _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)

    eerste = bron.wijzigingen(None)
    assert eerste.volledig
    assert {i.id for i in eerste.items} == set(ids.values())
    assert {i.naam for i in eerste.items} == set(ids)
    assert all(i.etag == graph_stub.item(f"Fiches/{i.naam}").etag for i in eerste.items)
    assert next(i for i in eerste.items if i.id == ids["Sub/dieper.xlsx"]).naam == "Sub/dieper.xlsx"
    assert all(i.gewijzigd.tzinfo is not None and i.link.startswith("https://contoso.sharepoint.com/") for i in eerste.items)
    assert eerste.cursor and "token=" in eerste.cursor
    # 11 items (root, 3 folders, 7 files) at 2 a page: the nextLinks were followed to the end
    assert graph_stub.tel("GET", r"/root/delta$") >= 6

    graph_stub.bestand_zetten("Fiches/bargermeer.xlsx", b"nieuwe versie")
    nieuw = graph_stub.bestand_zetten("Fiches/assen.xlsx", b"nieuw project")
    weg = graph_stub.bestand_verwijderen("Fiches/zeijerveen.xlsx")
    graph_stub.bestand_zetten("Archief/ander.xlsx", b"buiten de map")

    tweede = bron.wijzigingen(eerste.cursor)
    assert not tweede.volledig
    assert {i.id for i in tweede.items} == {ids["bargermeer.xlsx"], nieuw}
    gewijzigd = next(i for i in tweede.items if i.id == ids["bargermeer.xlsx"])
    assert gewijzigd.etag == graph_stub.item("Fiches/bargermeer.xlsx").etag
    assert gewijzigd.etag != next(i for i in eerste.items if i.id == gewijzigd.id).etag
    assert weg in tweede.verwijderd
    assert tweede.cursor != eerste.cursor

    derde = bron.wijzigingen(tweede.cursor)
    assert derde.items == [] and derde.verwijderd == [] and not derde.volledig


def test_an_item_changed_twice_is_listed_once_with_its_last_version(graph_verbinding, graph_stub):
    ids = _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)
    cursor = bron.wijzigingen(None).cursor
    graph_stub.bestand_zetten("Fiches/emmen-noord.xlsx", b"v2")
    graph_stub.bestand_zetten("Fiches/bargermeer.xlsx", b"anders")
    graph_stub.bestand_zetten("Fiches/emmen-noord.xlsx", b"v3")
    # the stub really sends the item twice since the cursor (first with the older eTag)
    assert sum(1 for _, rec in graph_stub._log if rec["id"] == ids["emmen-noord.xlsx"]) == 1 + 2

    w = bron.wijzigingen(cursor)
    emmen = [i for i in w.items if i.id == ids["emmen-noord.xlsx"]]
    assert len(emmen) == 1
    assert emmen[0].etag == graph_stub.item("Fiches/emmen-noord.xlsx").etag
    assert bron.download(emmen[0]) == b"v3"


def test_expired_delta_link_410_starts_a_full_enumeration(graph_verbinding, graph_stub, caplog):
    ids = _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)
    cursor = bron.wijzigingen(None).cursor
    graph_stub.bestand_zetten("Fiches/assen.xlsx", b"nieuw")
    graph_stub.tokens_laten_verlopen()

    with caplog.at_level(logging.WARNING, logger="pmiek.sync"):
        w = bron.wijzigingen(cursor)
    assert w.volledig
    assert {i.naam for i in w.items} == set(ids) | {"assen.xlsx"}
    assert w.verwijderd == []  # a full listing is authoritative by absence
    assert any("410" in r.getMessage() for r in caplog.records)
    assert graph_stub.tel("GET", r"/root/delta$") >= 2
    # the new cursor works again
    assert bron.wijzigingen(w.cursor).items == []


def test_deleted_and_moved_out_fiches_are_reported_removed(graph_verbinding, graph_stub):
    ids = _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)
    cursor = bron.wijzigingen(None).cursor
    graph_stub.bestand_verwijderen("Fiches/emmen-noord.xlsx")
    graph_stub.bestand_verplaatsen("Fiches/bargermeer.xlsx", "Archief")

    w = bron.wijzigingen(cursor)
    assert w.items == []
    assert set(w.verwijderd) == {ids["emmen-noord.xlsx"], ids["bargermeer.xlsx"]}

    volledig = bron.wijzigingen(None)
    assert {i.id for i in volledig.items} == {ids["zeijerveen.xlsx"], ids["Sub/dieper.xlsx"]}


def test_every_file_but_lock_temp_and_system_files_is_listed(graph_verbinding, graph_stub):
    # An .ods, .csv or .docx is listed like a fiche (the reader names its format in Datakwaliteit);
    # renamed to a lock or temporary name, a listed file is reported removed.
    ids = {naam: graph_stub.bestand_zetten(f"Fiches/{naam}", b"x")
           for naam in ("emmen.xlsx", "emmen.xlsm", "meppel.ods", "export.csv", "notities.docx", "oud.xls")}
    for naam in ("~$emmen.xlsx", ".~lock.meppel.ods#", "emmen.tmp", "Thumbs.db", "desktop.ini", ".verborgen"):
        graph_stub.bestand_zetten(f"Fiches/{naam}", b"x")
    bron = _bron(graph_verbinding, graph_stub)
    eerste = bron.wijzigingen(None)
    assert {i.naam for i in eerste.items} == set(ids)
    graph_stub.bestand_verwijderen("Fiches/export.csv")
    graph_stub.bestand_zetten("Fiches/export.csv.tmp", b"x")
    tweede = bron.wijzigingen(eerste.cursor)
    assert tweede.items == [] and ids["export.csv"] in tweede.verwijderd  # (intake ignores the unknown .tmp id)


def test_files_outside_the_fiche_folder_never_count(graph_verbinding, graph_stub):
    _vul(graph_stub)
    w = _bron(graph_verbinding, graph_stub, folder="Archief").wijzigingen(None)
    assert [i.naam for i in w.items] == ["oud.xlsx"]
    w = _bron(graph_verbinding, graph_stub, folder="Fiches/Sub").wijzigingen(None)
    assert [i.naam for i in w.items] == ["dieper.xlsx"]


def test_subfolders_count_and_a_change_in_their_structure_lists_the_library_once(graph_verbinding, graph_stub, caplog):
    ids = _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)
    cursor = bron.wijzigingen(None).cursor

    # A file changing deep down lists its folders again (as SharePoint does): still incremental.
    graph_stub.bestand_zetten("Fiches/Sub/dieper.xlsx", b"v2")
    w = bron.wijzigingen(cursor)
    assert not w.volledig and [(i.id, i.naam) for i in w.items] == [(ids["Sub/dieper.xlsx"], "Sub/dieper.xlsx")]

    # A renamed subfolder only renames the paths shown.
    graph_stub.hernoemen("Fiches/Sub", "Noord")
    graph_stub.bestand_zetten("Fiches/Noord/dieper.xlsx", b"v3")
    w = bron.wijzigingen(w.cursor)
    assert not w.volledig and [i.naam for i in w.items] == ["Noord/dieper.xlsx"]

    # A new subfolder (or one moved in) may hold files the feed does not list: one full listing.
    graph_stub.bestand_zetten("Archief/Zuid/coevorden.xlsx", b"oud")
    graph_stub.bestand_verplaatsen("Archief/Zuid", "Fiches")
    with caplog.at_level(logging.INFO, logger="pmiek.sync.bron.sharepoint"):
        w = bron.wijzigingen(w.cursor)
    assert w.volledig
    assert "Zuid/coevorden.xlsx" in {i.naam for i in w.items}
    assert any(getattr(r, "fields", {}).get("reason") == "subfolder added" for r in caplog.records)
    assert bron.wijzigingen(w.cursor).items == []

    # Moved out, or deleted with its contents: the full listing no longer has their files.
    graph_stub.bestand_verplaatsen("Fiches/Zuid", "Archief")
    w = bron.wijzigingen(w.cursor)
    assert w.volledig and "Zuid/coevorden.xlsx" not in {i.naam for i in w.items}
    graph_stub.bestand_verwijderen("Fiches/Noord")
    w = bron.wijzigingen(w.cursor)
    assert w.volledig and {i.naam for i in w.items} == {"emmen-noord.xlsx", "bargermeer.xlsx", "zeijerveen.xlsx"}


def test_a_folder_listed_after_its_subfolder_still_counts(graph_verbinding, graph_stub):
    # Delta does not promise parents before children: here B is listed before its new parent A.
    graph_stub.map_maken("Fiches")
    graph_stub.bestand_zetten("Fiches/B/x.xlsx", b"x")
    graph_stub.map_maken("Fiches/A")
    graph_stub.bestand_verplaatsen("Fiches/B", "Fiches/A")
    w = _bron(graph_verbinding, graph_stub).wijzigingen(None)
    assert [i.naam for i in w.items] == ["A/B/x.xlsx"]


def test_a_cursor_of_another_format_starts_a_full_listing(graph_verbinding, graph_stub):
    ids = _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)
    delta_link = json.loads(bron.wijzigingen(None).cursor)["delta"]
    for oud in (delta_link, "{}", '{"versie": 2, "delta": 5}', "[1, 2]"):
        w = bron.wijzigingen(oud)
        assert w.volledig and {i.id for i in w.items} == set(ids.values())


def test_download_returns_the_bytes_and_a_vanished_item_is_refused(graph_verbinding, graph_stub):
    ids = _vul(graph_stub)
    inhoud = bytes(range(256)) * 40
    graph_stub.bestand_zetten("Fiches/zeijerveen.xlsx", inhoud)
    bron = _bron(graph_verbinding, graph_stub)
    item = next(i for i in bron.wijzigingen(None).items if i.id == ids["zeijerveen.xlsx"])
    assert bron.download(item) == inhoud
    # the redirect target is on another host and got no bearer token (the stub refuses one)
    assert graph_stub.tel("GET", r"^/_download/") == 1
    assert "authorization" not in [v for v in graph_stub.verzoeken if v.pad.startswith("/_download/")][0].headers

    graph_stub.bestand_verwijderen("Fiches/zeijerveen.xlsx")
    with pytest.raises(FileRefused) as fout:
        bron.download(item)
    assert fout.value.reason == "gone"


def test_429_retry_after_is_honoured_and_logged(graph_verbinding, graph_stub, caplog):
    _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)
    bron.map_id  # noqa: B018 - resolve lookups first, so the throttled call is the delta page
    graph_stub.fout_injecteren("GET", r"/root/delta$", 429, headers={"Retry-After": "1"})
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.graph"):
        start = time.monotonic()
        w = bron.wijzigingen(None)
        duur = time.monotonic() - start
    assert len(w.items) == 4
    assert duur >= 1.0
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 1
    assert retries[0].fields["status"] == 429 and retries[0].fields["retry_after"] == 1


def test_throttling_retries_are_bounded(graph_stub):
    _vul(graph_stub)
    verbinding = GraphVerbinding(**{**graph_stub.verbinding_kwargs(), "max_retries": 2})
    bron = _bron(verbinding, graph_stub)
    bron.map_id  # noqa: B018
    voor = graph_stub.tel("GET", r"/root/delta$")
    graph_stub.fout_injecteren("GET", r"/root/delta$", 503, aantal=50, headers={"Retry-After": "0"})
    with pytest.raises(RemoteError) as fout:
        bron.wijzigingen(None)
    assert graph_stub.tel("GET", r"/root/delta$") - voor == 3  # one try and two retries
    assert fout.value.status == 503
    assert "SharePoint" in fout.value.melding


def test_a_retry_after_beyond_max_wait_gives_up_at_once(graph_stub):
    _vul(graph_stub)
    verbinding = GraphVerbinding(**{**graph_stub.verbinding_kwargs(), "max_wait": 5})
    bron = _bron(verbinding, graph_stub)
    bron.map_id  # noqa: B018
    graph_stub.fout_injecteren("GET", r"/root/delta$", 429, headers={"Retry-After": "3600"})
    start = time.monotonic()
    with pytest.raises(RemoteError) as fout:
        bron.wijzigingen(None)
    assert time.monotonic() - start < 5
    assert "3600" in str(fout.value)
    # the limiter does not keep this process waiting an hour either
    assert len(bron.wijzigingen(None).items) == 4


def test_site_and_folder_lookups_give_clear_config_errors(graph_verbinding, graph_stub):
    _vul(graph_stub)
    with pytest.raises(ConfigError) as fout:
        SharePointBron(graph_verbinding, site="contoso.sharepoint.com:/sites/Anders", folder="Fiches").wijzigingen(None)
    assert fout.value.key == "source.site"
    with pytest.raises(ConfigError) as fout:
        _bron(graph_verbinding, graph_stub, folder="Bestaat/Niet").wijzigingen(None)
    assert fout.value.key == "source.folder" and "bestaat niet" in fout.value.melding
    with pytest.raises(ConfigError):
        _bron(graph_verbinding, graph_stub, folder="Fiches/notities.docx").wijzigingen(None)
    # by drive id and folder id instead of site and path
    map_id = graph_stub.item("Fiches").id
    w = SharePointBron(graph_verbinding, drive_id=graph_stub.drive_id, folder=map_id).wijzigingen(None)
    assert len(w.items) == 4


def test_throttled_download_is_retried_through_the_library_query(graph_verbinding, graph_stub, caplog):
    ids = _vul(graph_stub)
    bron = _bron(graph_verbinding, graph_stub)
    item = next(i for i in bron.wijzigingen(None).items if i.id == ids["bargermeer.xlsx"])
    graph_stub.fout_injecteren("GET", r"/items/[^/]+/content$", 503, aantal=2, headers={"Retry-After": "0"})
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.graph"):
        assert bron.download(item) == b"inhoud bargermeer.xlsx"
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert [r.fields["attempt"] for r in retries] == [1, 2]
    assert all(r.fields["what"] == "download bargermeer.xlsx" and r.fields["status"] == 503 for r in retries)
    assert graph_stub.tel("GET", r"/items/[^/]+/content$") == 3


def test_failure_messages_keep_pre_authenticated_urls_out(graph_stub):
    ids = _vul(graph_stub)
    verbinding = GraphVerbinding(**{**graph_stub.verbinding_kwargs(), "max_retries": 1})
    bron = _bron(verbinding, graph_stub)
    item = next(i for i in bron.wijzigingen(None).items if i.id == ids["bargermeer.xlsx"])
    graph_stub.fout_injecteren("GET", r"^/_download/", 500, aantal=5, body=b"kapot", headers={"Retry-After": "0"})
    with pytest.raises(RemoteError) as fout:
        bron.download(item)
    assert "/_download/" in str(fout.value) and "tempauth" not in str(fout.value)
    assert graph_stub.tel("GET", r"^/_download/") == 2
