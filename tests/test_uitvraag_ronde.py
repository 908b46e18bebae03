"""A whole uitvraag round (sync.uitvraag) under a frozen clock, on real parts: fiches written from
the examples into a folder source, a real SQLite store, a real aiosmtpd server on loopback (and
the Graph stub), the CLI as separate processes for the crash (a restart is a new process, a crash
a SIGKILL).

The round of 2026Q4 with the defaults: deadline 10-12-2026 (three weeks before the quarter's end),
requests from 19-11, reminders on 3-12 (7 days) and 8-12 (2 days), the project leader's notice on
11-12.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import tomllib
from collections import Counter
from copy import deepcopy
from email.utils import getaddresses
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from mailserver import GEBRUIKER, WACHTWOORD
from openpyxl import load_workbook

from sync.config import laad_config
from sync.master import KOPRIJ
from sync.uitvraag import verzending
from sync.uitvraag.stand import berichten

TZ = ZoneInfo("Europe/Amsterdam")
ROOT = Path(__file__).resolve().parents[1]
KLOK = Path(__file__).resolve().parent / "klok"
LEIDER = "projectleider@drenthe.nl"
AANTAL = 6  # fiches 0-5 of the examples


@lru_cache(maxsize=1)
def voorbeelden() -> list[dict[str, Any]]:
    with open(ROOT / "workbook_templates" / "examples" / "projecten.toml", "rb") as fh:
        return tomllib.load(fh)["fiche"]


def fiche_bytes(nr: int, zonder_adres: bool = False, **velden: Any) -> bytes:
    """Example fiche `nr` with fields overridden; `zonder_adres`: the voorzitter has no e-mail address
    (a warning only; a team without voorzitter is refused by the validator)."""
    from fiche.template import build_fiche_workbook
    entry = deepcopy(voorbeelden()[nr])
    if zonder_adres:
        for lid in entry["tabellen"]["projectteam"]:
            if lid["rol"] == "Voorzitter":
                lid.pop("email", None)
    entry["velden"].update(velden)
    buf = io.BytesIO()
    build_fiche_workbook(entry["fiche_type"], entry["velden"], entry.get("tabellen", {})).save(buf)
    return buf.getvalue()


def voorzitter(nr: int) -> str:
    return next(lid["email"] for lid in voorbeelden()[nr]["tabellen"]["projectteam"] if lid["rol"] == "Voorzitter")


def team(nr: int) -> set[str]:
    return {lid["email"] for lid in voorbeelden()[nr]["tabellen"]["projectteam"] if lid["rol"] != "Voorzitter"}


def naam(nr: int) -> str:
    return voorbeelden()[nr]["velden"]["projectnaam"]


def moment(maand: int, dag: int, uur: int = 9) -> dt.datetime:
    return dt.datetime(2026, maand, dag, uur, 0, tzinfo=TZ)


def zet(map_: Path, nr: int, inhoud: bytes, gewijzigd: dt.datetime) -> None:
    pad = map_ / "fiches" / f"fiche-{nr:02d}.xlsx"
    pad.write_bytes(inhoud)
    os.utime(pad, (gewijzigd.timestamp(), gewijzigd.timestamp()))


def maak_omgeving(map_: Path, transport: str = "smtp", *, smtp_port: int = 0, ca: Path | None = None,
                  uitvraag: str = "", aantal: int = AANTAL, zonder_adres: int | None = 5) -> Path:
    (map_ / "fiches").mkdir(parents=True)
    for nr in range(aantal):
        zet(map_, nr, fiche_bytes(nr, zonder_adres=nr == zonder_adres), moment(11, 10, 12))
    smtp = f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nsmtp_ca_bundle = "{ca}"\n' if transport == "smtp" else ""
    pad = map_ / "pmiek.toml"
    pad.write_text(textwrap.dedent(f"""\
        [source]
        type = "folder"
        path = "fiches"

        [store]
        path = "pmiek.sqlite"

        [master]
        path = "master/pMIEK-monitoring.xlsx"

        [report]
        transport = "{transport}"
        recipients = ["energy-board@drenthe.nl"]
        sender = "pmiek@drenthe.nl"
        outbox = "outbox"
        retries = 2
        retry_base_seconds = 0
        """) + smtp + textwrap.dedent(f"""
        [uitvraag]
        cc_team = true
        project_leader = ["{LEIDER}"]
        template_link = "https://drenthe.sharepoint.com/sites/pmiek/Sjablonen/pmiek-fiche-concreet.xlsx"
        """) + uitvraag, encoding="utf-8")
    return pad


def sync_op(pad: Path, wanneer: dt.datetime) -> None:
    from sync.synchronisatie import sync_eenmalig
    with time_machine.travel(wanneer, tick=True):
        sync_eenmalig(laad_config(pad), voortgang=False)


def geplande_run(pad: Path, wanneer: dt.datetime) -> None:
    """The service's daily job, on `wanneer`."""
    with time_machine.travel(wanneer, tick=True):
        verzending.geplande_uitvraag(str(pad))


def records(pad: Path) -> list[dict]:
    uitvraag, store = verzending.voor_config(laad_config(pad))
    try:
        return berichten(store.engine, "2026Q4")
    finally:
        store.close()


def ontvangers(m) -> tuple[str, set[str]]:
    aan = [a for _, a in getaddresses([str(m["To"])])]
    cc = {a for _, a in getaddresses([str(m["Cc"])])} if m["Cc"] else set()
    assert len(aan) == 1
    return aan[0], cc


@pytest.fixture
def smtp_login(monkeypatch):
    monkeypatch.setenv("PMIEK_SMTP_USER", GEBRUIKER)
    monkeypatch.setenv("PMIEK_SMTP_PASSWORD", WACHTWOORD)


def test_a_whole_round_over_smtp(tmp_path, smtp_server, certificaat, smtp_login, capsys):
    server = smtp_server
    # The voorzitter of fiche 3 asked not to get these mails; fiche 4 is realised (nothing to ask);
    # fiche 5's voorzitter has no address.
    pad = maak_omgeving(tmp_path, smtp_port=server.port, ca=certificaat[0],
                        uitvraag=f'opt_out = ["{voorzitter(3)}"]\n')
    sync_op(pad, moment(11, 19, 7))

    # Before the request day nothing goes out.
    geplande_run(pad, moment(11, 18))
    assert server.berichten == []

    # Request day: one personal request per voorzitter, the team in cc; fiche 5 to the project leader.
    geplande_run(pad, moment(11, 19))
    verzoeken = {ontvangers(m.bericht)[0]: m.bericht for m in server.berichten}
    assert set(verzoeken) == {voorzitter(n) for n in range(3)} | {LEIDER}
    assert len(server.berichten) == 4
    eerste = verzoeken[voorzitter(0)]
    assert ontvangers(eerste)[1] == team(0)
    assert eerste["X-Pmiek-Uitvraag"] == "verzoek" and "10 december 2026" in eerste["Subject"]
    tekst = eerste.get_body(("plain",)).get_content()
    html = eerste.get_body(("html",)).get_content()
    assert "DEADLINE: 10 december 2026" in tekst and "Huidig stoplicht:" in tekst
    assert str(tmp_path / "fiches" / "fiche-00.xlsx") in tekst  # a folder source: the path
    assert "pmiek-fiche-concreet.xlsx" in tekst and 'href="https://drenthe.sharepoint.com/' in html
    assert "BEVINDINGEN VAN DE LAATSTE CONTROLE" in tekst
    leider = verzoeken[LEIDER]
    assert "geen (geldig) e-mailadres" in leider.get_body(("plain",)).get_content()
    assert naam(5)[:20] in str(leider["Subject"])
    # The same day again (a restart, a second run): nothing twice.
    geplande_run(pad, moment(11, 19, 15))
    assert len(server.berichten) == 4
    soorten = {(r["projectnaam"], r["status"]) for r in records(pad) if r["soort"] == "verzoek"}
    assert (naam(3), "overgeslagen") in soorten and naam(4) not in {n for n, _ in soorten}

    # In between: team 0 delivers a valid update, team 1 a version the validator refuses.
    zet(tmp_path, 0, fiche_bytes(0, peildatum=dt.date(2026, 11, 24)), moment(11, 24, 14))
    zet(tmp_path, 1, fiche_bytes(1, ibn_bovengrens="31-13-2033"), moment(11, 24, 15))
    sync_op(pad, moment(11, 25, 7))

    # First reminder: only to the voorzitters without a valid new version (1: refused; 2: silent).
    geplande_run(pad, moment(12, 3))
    herinneringen = {ontvangers(m.bericht)[0]: m.bericht for m in server.berichten[4:]}
    assert set(herinneringen) == {voorzitter(1), voorzitter(2)}
    assert len(server.berichten) == 6
    geweigerd = herinneringen[voorzitter(1)].get_body(("plain",)).get_content()
    assert "afgekeurd" in geweigerd and "31-13-2033" in geweigerd
    assert "nog geen nieuwe" in herinneringen[voorzitter(2)].get_body(("plain",)).get_content()
    assert herinneringen[voorzitter(2)]["X-Pmiek-Uitvraag"] == "herinnering"
    geplande_run(pad, moment(12, 4))
    assert len(server.berichten) == 6

    # Team 2 delivers; the service is down from 4-12 to 9-12: it catches up with the latest reminder only.
    zet(tmp_path, 2, fiche_bytes(2, peildatum=dt.date(2026, 12, 5)), moment(12, 5, 10))
    sync_op(pad, moment(12, 9, 7))
    geplande_run(pad, moment(12, 9))
    assert [ontvangers(m.bericht)[0] for m in server.berichten[6:]] == [voorzitter(1)]

    # After the deadline: one notice to the project leader naming who did not deliver.
    geplande_run(pad, moment(12, 11))
    geplande_run(pad, moment(12, 12))
    assert len(server.berichten) == 8
    melding = server.berichten[7].bericht
    assert ontvangers(melding) == (LEIDER, set()) and melding["X-Pmiek-Uitvraag"] == "deadline"
    inhoud = melding.get_body(("plain",)).get_content()
    assert "leverden er 2" in inhoud
    for nr in (1, 3, 5):
        assert naam(nr) in inhoud
    for nr in (0, 2, 4):
        assert naam(nr) not in inhoud
    assert "afgekeurd" in inhoud and "opt-out" in inhoud

    # Exactly once per project per kind, all delivered.
    rijen = records(pad)
    assert max(Counter((r["project"], r["soort"]) for r in rijen).values()) == 1
    assert Counter(r["status"] for r in rijen) == {"verzonden": 8, "overgeslagen": 1}

    # Where the project leader sees it: the master sheet and pmiek status.
    sync_op(pad, moment(12, 12, 7))
    ws = load_workbook(tmp_path / "master" / "pMIEK-monitoring.xlsx")["Stand uitvraag"]
    kop = [c.value for c in ws[KOPRIJ]]
    rij = {r[0]: dict(zip(kop, r)) for r in ws.iter_rows(min_row=KOPRIJ + 1, values_only=True)}
    assert rij[naam(0)]["Geldig"] == "Ja" and rij[naam(0)]["Geleverd op"] is not None
    assert rij[naam(1)]["Geldig"] == "Nee" and rij[naam(1)]["Stand"] == "Afgekeurd"
    assert rij[naam(1)]["Herinnerd"] is not None and rij[naam(1)]["Gevraagd"] is not None and rij[naam(1)]["Voorzitter"]
    assert rij[naam(3)]["Stand"] == "Niet geleverd" and "Afgemeld" in rij[naam(3)]["Opmerking"]
    assert "projectleider" in rij[naam(5)]["Opmerking"]
    assert naam(4) not in rij  # realised
    with time_machine.travel(moment(12, 12, 10), tick=True):
        from pmiek.commands.status import _uitvraag
        from sync.store import open_store
        store = open_store(laad_config(pad).store_url, alleen_lezen=True)
        try:
            assert _uitvraag(store, TZ) is False
        finally:
            store.close()
    status = capsys.readouterr().out
    assert "Uitvraag 2026Q4 (deadline 10 december 2026, gestart 19-11-2026): 2 van de 5 projecten geleverd" in status
    assert f"- {naam(1)}: voorzitter " in status and "geldig nee (Nieuwste versie afgekeurd)" in status


def test_the_same_round_through_the_graph_stub(tmp_path, graph_stub, graph_verbinding):
    from test_verzenden_graph import Postvak, leer_mail

    from sync.herhaling import Herhaling
    from sync.kwartaal.transport import GraphTransport

    postvak = Postvak()
    leer_mail(graph_stub, postvak)
    pad = maak_omgeving(tmp_path, "outbox", aantal=4, zonder_adres=None)
    sync_op(pad, moment(11, 19, 7))
    transport = GraphTransport(graph_verbinding.client, "pmiek@drenthe.nl", graph_verbinding.session,
                               Herhaling(pogingen=2, basis=0.01, slaap=lambda s: None), timeout=10)

    def run(wanneer: dt.datetime) -> verzending.Uitslag:
        with time_machine.travel(wanneer, tick=True):
            uitvraag, store = verzending.voor_config(laad_config(pad))
            try:
                return uitvraag.verwerk("2026Q4", transport, aanleiding="gepland")
            finally:
                store.close()

    run(moment(11, 19))
    assert len(postvak.verzonden) == 4
    eerste = next(m for m in postvak.verzonden if m["toRecipients"][0]["emailAddress"]["address"] == voorzitter(0))
    assert {c["emailAddress"]["address"] for c in eerste["ccRecipients"]} == team(0)
    kop = {h["name"]: h["value"] for h in eerste["internetMessageHeaders"]}
    assert kop["X-Pmiek-Uitvraag"] == "verzoek" and eerste["body"]["contentType"].lower() == "html"
    run(moment(11, 20))
    assert len(postvak.verzonden) == 4
    zet(tmp_path, 0, fiche_bytes(0, peildatum=dt.date(2026, 11, 24)), moment(11, 24, 14))
    zet(tmp_path, 1, fiche_bytes(1, ibn_bovengrens="31-13-2033"), moment(11, 24, 15))
    sync_op(pad, moment(11, 25, 7))
    run(moment(12, 3))
    herinnerd = {m["toRecipients"][0]["emailAddress"]["address"] for m in postvak.verzonden[4:]}
    assert herinnerd == {voorzitter(1), voorzitter(2), voorzitter(3)}
    run(moment(12, 11))
    run(moment(12, 11, 15))
    assert len(postvak.verzonden) == 8
    assert postvak.verzonden[-1]["toRecipients"][0]["emailAddress"]["address"] == LEIDER
    assert Counter(r["status"] for r in records(pad)) == {"verzonden": 8}


# --- a kill during sending -----------------------------------------------------------------------

def omgeving(wanneer: dt.datetime) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PMIEK_SMTP_USER=GEBRUIKER, PMIEK_SMTP_PASSWORD=WACHTWOORD, PMIEK_TEST_KLOK=wanneer.isoformat())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(KLOK), str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def pmiek_proces(pad: Path, wanneer: dt.datetime) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pmiek.cli", "uitvraag", "--quarter", "2026Q4", "--send",
                             "--config", str(pad)], env=omgeving(wanneer), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.subprocess
def test_a_kill_mid_batch_neither_duplicates_nor_loses_anyone(tmp_path, smtp_server, certificaat):
    server = smtp_server
    # 30 a minute: two seconds between messages, so the batch is killed while it waits.
    pad = maak_omgeving(tmp_path, smtp_port=server.port, ca=certificaat[0], uitvraag="messages_per_minute = 30\n")
    sync_op(pad, moment(11, 19, 7))
    proc = pmiek_proces(pad, moment(11, 19))

    def na_ontvangst() -> None:
        if len(server.berichten) == 3:  # the third is in; the process waits for the fourth
            threading.Timer(0.5, os.kill, (proc.pid, signal.SIGKILL)).start()

    server.na_ontvangst = na_ontvangst
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(server.berichten) == 3
    assert Counter(r["status"] for r in records(pad)) == {"verzonden": 3}
    server.na_ontvangst = None

    # The restart sends the other three, nobody twice.
    r = pmiek_proces(pad, moment(11, 19, 10))
    uit, fout = r.communicate(timeout=120)
    assert r.returncode == 0, fout
    aan = [ontvangers(m.bericht)[0] for m in server.berichten]
    assert len(aan) == 5 and set(aan) == {voorzitter(n) for n in range(4)} | {LEIDER}  # fiche 4: realised
    assert Counter(r["status"] for r in records(pad)) == {"verzonden": 5}


@pytest.mark.subprocess
def test_a_kill_during_the_hand_over_is_marked_for_a_check_not_resent(tmp_path, smtp_server, certificaat):
    server = smtp_server
    pad = maak_omgeving(tmp_path, smtp_port=server.port, ca=certificaat[0], aantal=3, zonder_adres=None,
                        uitvraag="messages_per_minute = 6000\n")
    sync_op(pad, moment(11, 19, 7))
    proc = pmiek_proces(pad, moment(11, 19))
    # The worst moment: the server has the second message, the sender never hears the 250.
    server.na_ontvangst = lambda: len(server.berichten) == 2 and os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    server.na_ontvangst = None
    assert [r["status"] for r in records(pad)] == ["verzonden", "verzenden"]

    r = pmiek_proces(pad, moment(11, 19, 10))
    uit, _ = r.communicate(timeout=120)
    assert r.returncode == 1 and "controleren" in uit
    assert len(server.berichten) == 3  # the third one; the uncertain second one is not sent again
    assert len({ontvangers(m.bericht)[0] for m in server.berichten}) == 3
    assert sorted(r["status"] for r in records(pad)) == ["controleren", "verzonden", "verzonden"]

    # A person finds the second message in the voorzitter's inbox and confirms it.
    from pmiek.cli import main
    with time_machine.travel(moment(11, 19, 11), tick=True):
        assert main(["uitvraag", "--quarter", "2026Q4", "--mark-sent", "--config", str(pad)]) == 0
        assert main(["uitvraag", "--quarter", "2026Q4", "--send", "--config", str(pad)]) == 0
    assert len(server.berichten) == 3
    assert [r["status"] for r in records(pad)] == ["verzonden"] * 3
