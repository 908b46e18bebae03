"""The quarterly job (sync.kwartaal.rapportage) and `pmiek report`: frozen snapshot, exactly once per
quarter across restarts and crashes, failures visible in `pmiek status`.

Real parts only: the example fiches synced into a real SQLite store, a real aiosmtpd server, the
CLI run as separate processes (a restart is a new process; a crash is a SIGKILL).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from mailserver import GEBRUIKER, WACHTWOORD
from sample_overzicht import sample_overzicht

from sync.config import laad_config
from sync.dienst import kwartaal_trigger
from sync.kwartaal import rapportage as kr

TZ = ZoneInfo("Europe/Amsterdam")
ROOT = Path(__file__).resolve().parents[1]
VOORBEELDEN = ROOT / "workbook_templates" / "examples"


#: The examples' quarter is 2026Q4; a quarter is sent (without --force) only after it ended. The
#: CLI subprocesses run on a clock in the first week after it (tests/klok) while the machine's
#: clock is still before that moment.
NA_Q4 = dt.datetime(2027, 1, 5, 10, 0, tzinfo=TZ)
KLOK = Path(__file__).resolve().parent / "klok"


def omgeving(moment: dt.datetime | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PMIEK_SMTP_USER=GEBRUIKER, PMIEK_SMTP_PASSWORD=WACHTWOORD, PMIEK_LOG_LEVEL="INFO")
    moment = moment or max(NA_Q4, dt.datetime.now(TZ))
    if moment < dt.datetime.now(TZ) - dt.timedelta(minutes=1) or moment > dt.datetime.now(TZ) + dt.timedelta(minutes=1):
        env["PMIEK_TEST_KLOK"] = moment.isoformat()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(KLOK), env.get("PYTHONPATH")) if p)
    return env


def maak_config(map_: Path, transport: str = "outbox", *, smtp_port: int | None = None, ca: Path | None = None,
                extra: str = "", store: str | None = None) -> Path:
    """A config for the folder of examples in `map_`; `store` a database URL (default: pmiek.sqlite there)."""
    fiches = map_ / "fiches"
    fiches.mkdir(parents=True, exist_ok=True)
    for pad in sorted(VOORBEELDEN.glob("*.xlsx")):
        shutil.copyfile(pad, fiches / pad.name)
    smtp = ""
    if transport == "smtp":
        smtp = textwrap.dedent(f"""\
            smtp_host = "127.0.0.1"
            smtp_port = {smtp_port}
            smtp_ca_bundle = "{ca}"
            """)
    pad = map_ / "pmiek.toml"
    pad.write_text(textwrap.dedent(f"""\
        [source]
        type = "folder"
        path = "fiches"

        [store]
        {f'url = "{store}"' if store else 'path = "pmiek.sqlite"'}

        [master]
        path = "master/pMIEK-monitoring.xlsx"

        [report]
        transport = "{transport}"
        recipients = ["energy-board@drenthe.nl", "wip@drenthe.nl"]
        sender = "pmiek@drenthe.nl"
        subject = "pMIEK kwartaaloverzicht {{kwartaal}}"
        outbox = "outbox"
        retries = 2
        retry_base_seconds = 0
        """) + smtp + extra, encoding="utf-8")
    return pad


def sync(config_pad: Path) -> None:
    from sync.synchronisatie import sync_eenmalig
    sync_eenmalig(laad_config(config_pad), voortgang=False)


def pmiek(*args: str, env: dict | None = None, timeout: float = 120,
          moment: dt.datetime | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pmiek.cli", *args], capture_output=True, text=True,
                          env=env or omgeving(moment), timeout=timeout, cwd=ROOT)


def records(config_pad: Path) -> list[dict]:
    rapport, store = kr.voor_config(laad_config(config_pad))
    try:
        return rapport.verzendingen()
    finally:
        store.close()


@pytest.fixture
def smtp_omgeving(tmp_path, smtp_server, certificaat, store_url):
    """A synced config sending through the loopback SMTP server, once for each store backend."""
    pad = maak_config(tmp_path, "smtp", smtp_port=smtp_server.port, ca=certificaat[0], store=store_url)
    sync(pad)
    return pad, smtp_server


# --- snapshot -----------------------------------------------------------------------------

def test_overview_json_round_trip_is_lossless():
    o = sample_overzicht()
    terug = kr.overzicht_van_json(kr.overzicht_naar_json(o))
    assert terug == o
    assert terug.projecten[0].mijlpalen[0]["stoplicht"] is o.projecten[0].mijlpalen[0]["stoplicht"]


def test_frozen_snapshot_reproduces_the_quarter(tmp_path):
    pad = maak_config(tmp_path)
    config = laad_config(pad)
    inst = config.report
    with time_machine.travel(dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ), tick=False):
        sync(pad)
    with time_machine.travel(dt.datetime(2027, 1, 4, 8, 0, tzinfo=TZ), tick=False):
        rapport, store = kr.voor_config(config)
        try:
            rapport.preview("2026Q4", tmp_path / "p0", inst)
            assert rapport.snapshot("2026Q4") is None  # a preview freezes nothing
            rapport.verstuur("2026Q4", inst, kr.maak_transport(inst))
            assert rapport.snapshot("2026Q4") is not None  # the send froze it
            eerste = rapport.preview("2026Q4", tmp_path / "p1", inst)
            stuk = rapport.stuk("2026Q4")
            assert stuk.bevroren and stuk.overzicht.peildatum == dt.date(2026, 12, 31)
        finally:
            store.close()

    # Afterwards the library changes: one fiche is deleted, and a copy of another turns up with
    # a modification time inside Q4 (restored from a backup). A rebuild now tells another story,
    # even for the same peildatum; the frozen quarter does not.
    from sync.overzicht_bouw import bouw_overzicht
    naam = "Waterstof in Meppel"
    bestand = next(p for p in (tmp_path / "fiches").glob("*.xlsx") if "meppel" in p.name)
    bestand.unlink()
    kopie = tmp_path / "fiches" / "Kopie van Zeijerveen.xlsx"
    shutil.copyfile(next((tmp_path / "fiches").glob("03-*.xlsx")), kopie)
    terug = dt.datetime(2026, 12, 15, 12, 0, tzinfo=TZ).timestamp()
    os.utime(kopie, (terug, terug))
    with time_machine.travel(dt.datetime(2027, 2, 1, 9, 0, tzinfo=TZ), tick=False):
        sync(pad)
        rapport, store = kr.voor_config(config)
        try:
            tweede = rapport.preview("2026Q4", tmp_path / "p2", inst)
            vandaag = bouw_overzicht(store, dt.date(2027, 2, 1))
            zelfde_peildatum = bouw_overzicht(store, dt.date(2026, 12, 31))
        finally:
            store.close()
    assert naam not in [p.projectnaam for p in vandaag.projecten]
    assert any(m.soort == "dubbel" for m in zelfde_peildatum.datakwaliteit)
    assert not any(m.soort == "dubbel" for m in stuk.overzicht.datakwaliteit)
    html1 = eerste["html"].read_text(encoding="utf-8")
    html2 = tweede["html"].read_text(encoding="utf-8")
    assert naam in html2 and "Kopie van Zeijerveen" not in html2 and html1 == html2
    assert eerste["master"].read_bytes() == tweede["master"].read_bytes()


@pytest.mark.subprocess
def test_preview_of_a_running_quarter_is_not_frozen(tmp_path):
    pad = maak_config(tmp_path)
    sync(pad)
    r = pmiek("report", "--quarter", "2026Q4", "--preview", str(tmp_path / "voorbeeld"), "--config", str(pad))
    assert r.returncode == 0, r.stderr
    assert "niet verzonden" in r.stdout
    bestanden = sorted(p.name for p in (tmp_path / "voorbeeld").iterdir())
    assert bestanden == ["pMIEK-monitoring-2026Q4.xlsx", "pmiek-kwartaaloverzicht-2026Q4.eml",
                         "pmiek-kwartaaloverzicht-2026Q4.html", "pmiek-kwartaaloverzicht-2026Q4.png"]
    assert records(pad) == [] and not (tmp_path / "outbox").exists()
    rapport, store = kr.voor_config(laad_config(pad))
    try:
        assert rapport.snapshot("2026Q4") is None  # still running: the numbers may still change
    finally:
        store.close()


@pytest.mark.subprocess
def test_cli_with_store_and_outbox_and_no_config(tmp_path):
    pad = maak_config(tmp_path)
    sync(pad)
    store = tmp_path / "pmiek.sqlite"
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--store", str(store), "--outbox", str(tmp_path / "uit"))
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "uit").glob("2026Q4-*.eml"))) == 1
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--store", str(store), "--outbox", str(tmp_path / "uit"))
    assert r.returncode == 2 and "al verzonden" in r.stderr and "Traceback" not in r.stderr
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--store", str(store))
    assert r.returncode == 2 and "--outbox" in r.stderr
    (tmp_path / "bestand").write_text("geen map")
    r = pmiek("report", "--quarter", "2026Q4", "--preview", str(tmp_path / "bestand"), "--store", str(store))
    assert r.returncode == 2 and "niet beschrijfbaar" in r.stderr and "Traceback" not in r.stderr
    # Without --quarter: the last completed quarter (the subprocess's clock is in 2027Q1 or later).
    r = pmiek("report", "--preview", str(tmp_path / "vorig"), "--store", str(store))
    assert r.returncode == 0, r.stderr
    verwacht = kr.te_rapporteren_kwartaal(max(NA_Q4, kr.nu()))
    assert (tmp_path / "vorig" / f"pmiek-kwartaaloverzicht-{verwacht}.eml").is_file()


@pytest.mark.subprocess
def test_an_empty_store_is_not_sent_as_an_all_clear(tmp_path):
    pad = maak_config(tmp_path)
    (tmp_path / "fiches").mkdir(exist_ok=True)
    for f in (tmp_path / "fiches").glob("*.xlsx"):
        f.unlink()
    sync(pad)  # a store that knows no project at all
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 2 and "geen projecten" in r.stderr and "pmiek sync" in r.stderr
    assert records(pad) == [] and not list((tmp_path / "outbox").glob("*.eml"))
    r = pmiek("report", "--quarter", "2026Q4", "--preview", str(tmp_path / "voorbeeld"), "--config", str(pad))
    assert r.returncode == 0, r.stderr  # looking is allowed
    # Once there are fiches, the same quarter goes out.
    maak_config(tmp_path)
    sync(pad)
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 0, r.stderr


@pytest.mark.subprocess
def test_a_running_quarter_is_sent_only_with_force_which_says_what_that_means(tmp_path):
    pad = maak_config(tmp_path)
    gewijzigd = dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ).timestamp()
    for f in (tmp_path / "fiches").glob("*.xlsx"):
        os.utime(f, (gewijzigd, gewijzigd))
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ), tick=False):
        sync(pad)
    tijdens = dt.datetime(2026, 12, 2, 10, 0, tzinfo=TZ)  # 2026Q4 is running
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad), moment=tijdens)
    assert r.returncode == 2, r.stderr
    assert "2026Q4 loopt nog tot en met 31 december 2026" in r.stderr and "niets verzonden" in r.stderr
    assert "--force" in r.stderr and "niet meer verzonden" in r.stderr and "Traceback" not in r.stderr
    assert records(pad) == [] and not (tmp_path / "outbox").exists()
    rapport, store = kr.voor_config(laad_config(pad))
    try:
        assert rapport.snapshot("2026Q4") is None  # nothing frozen: the scheduled send stays
    finally:
        store.close()

    r = pmiek("report", "--quarter", "2026Q4", "--send", "--force", "--config", str(pad), moment=tijdens)
    assert r.returncode == 0, r.stderr
    assert "2026Q4 loopt nog" in r.stdout and "niet meer verzonden" in r.stdout
    assert [(x["status"], x["geforceerd"]) for x in records(pad)] == [("verzonden", True)]
    # After the quarter ended the scheduled (or a plain) send finds it sent.
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad), moment=NA_Q4)
    assert r.returncode == 2 and "al verzonden" in r.stderr


@pytest.mark.subprocess
def test_bad_quarter_and_missing_store_are_clear_dutch_errors(tmp_path):
    r = pmiek("report", "--quarter", "", "--preview", str(tmp_path), "--store", str(tmp_path / "x.sqlite"))
    assert r.returncode == 2 and "geen kwartaal" in r.stderr and "Traceback" not in r.stderr
    r = pmiek("report", "--quarter", "2026Q7", "--preview", str(tmp_path), "--store", str(tmp_path / "x.sqlite"))
    assert r.returncode == 2 and "geen kwartaal" in r.stderr and "Traceback" not in r.stderr
    r = pmiek("report", "--quarter", "2030Q1", "--preview", str(tmp_path), "--store", str(tmp_path / "x.sqlite"))
    assert r.returncode == 2 and "nog niet begonnen" in r.stderr
    r = pmiek("report", "--quarter", "2026Q3", "--preview", str(tmp_path), "--store", str(tmp_path / "x.sqlite"))
    assert r.returncode == 2 and "bestaat niet" in r.stderr


# --- exactly once -------------------------------------------------------------------------

@pytest.mark.subprocess
def test_once_per_quarter_across_restart_and_force(smtp_omgeving):
    pad, server = smtp_omgeving
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 0, r.stderr
    assert "verzonden via smtp" in r.stdout
    assert len(server.berichten) == 1
    eerste_id = server.berichten[0].bericht["Message-ID"]

    # A new process (a restart) refuses the second send.
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 2 and "al verzonden" in r.stderr and "--force" in r.stderr
    assert len(server.berichten) == 1

    r = pmiek("report", "--quarter", "2026Q4", "--send", "--force", "--config", str(pad))
    assert r.returncode == 0, r.stderr
    assert len(server.berichten) == 2
    assert server.berichten[1].bericht["Message-ID"] != eerste_id  # a new message, knowingly
    # Both carry the same frozen quarter: same attachment bytes.
    bijlage = [m.bericht.get_payload()[1].get_content() for m in server.berichten]
    assert bijlage[0] == bijlage[1]
    assert [(x["status"], x["geforceerd"]) for x in records(pad)] == [("verzonden", False), ("verzonden", True)]

    r = pmiek("status", "--config", str(pad))
    assert "Kwartaaloverzichten" in r.stdout and "2026Q4: verzonden via smtp" in r.stdout
    assert r.returncode == 0

    # A forced resend that fails does not make the quarter "unsent": a plain --send is still refused.
    server.weiger_tijdelijk = 10
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--force", "--config", str(pad))
    assert r.returncode == 3
    server.weiger_tijdelijk = 0
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 2 and "al verzonden" in r.stderr
    assert len(server.berichten) == 2
    r = pmiek("status", "--config", str(pad))
    assert "2026Q4: mislukt via smtp" in r.stdout and "eerder verzonden op" in r.stdout


@pytest.mark.subprocess
def test_crash_after_the_server_accepted_does_not_send_twice(smtp_omgeving):
    pad, server = smtp_omgeving
    proc = subprocess.Popen([sys.executable, "-m", "pmiek.cli", "report", "--quarter", "2026Q4", "--send",
                             "--config", str(pad)], env=omgeving(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The worst moment: the server has stored the message; the sender is killed before it hears
    # the 250 and before it can complete its record.
    server.na_ontvangst = lambda: os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(server.berichten) == 1
    (rij,) = records(pad)
    assert rij["status"] == "overgedragen" and rij["message_id"] == server.berichten[0].bericht["Message-ID"]
    server.na_ontvangst = None

    # The rerun (a restart) cannot ask SMTP whether it arrived: it does not resend, it asks a person.
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 3 and "onbekend" in r.stderr and "--mark-sent" in r.stderr
    assert len(server.berichten) == 1
    assert records(pad)[0]["status"] == "controleren"
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 3 and len(server.berichten) == 1
    status = pmiek("status", "--config", str(pad))
    assert status.returncode == 1  # needs attention
    assert "2026Q4: onzeker, handmatig controleren" in status.stdout
    assert rij["message_id"] in status.stdout

    # The person finds the mail in the Board's inbox and confirms.
    r = pmiek("report", "--quarter", "2026Q4", "--mark-sent", "--config", str(pad))
    assert r.returncode == 0, r.stderr
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 2 and "al verzonden" in r.stderr
    assert len(server.berichten) == 1


KILL_NA_EML = """
import os, signal, sys
state = {"hernoemd": False, "dood": False}
def sterf():
    state["dood"] = True  # os.kill raises an audit event itself: do not re-enter
    os.kill(os.getpid(), signal.SIGKILL)
def hook(event, args):
    if state["dood"]:
        return
    if state["hernoemd"]:
        sterf()  # the first event after the rename: the .eml is in place, the record is not
    if event == "os.rename" and str(args[1]).endswith(".eml"):
        if sys.argv[1] == "ervoor":
            sterf()
        state["hernoemd"] = True  # the rename happens right after this hook returns
sys.addaudithook(hook)
from pmiek.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("moment", ["ervoor", "erna"])
def test_outbox_crash_is_resolved_by_asking_the_outbox(tmp_path, moment, store_url):
    pad = maak_config(tmp_path, store=store_url)
    sync(pad)
    r = subprocess.run([sys.executable, "-c", KILL_NA_EML, moment, "report", "--quarter", "2026Q4", "--send",
                        "--config", str(pad)], capture_output=True, text=True, env=omgeving(), cwd=ROOT, timeout=120)
    assert r.returncode == -signal.SIGKILL, r.stderr
    emls = list((tmp_path / "outbox").glob("*.eml"))
    assert len(emls) == (1 if moment == "erna" else 0)
    assert records(pad)[0]["status"] == "verzenden"

    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 0, r.stderr
    emls = list((tmp_path / "outbox").glob("*.eml"))
    assert len(emls) == 1  # delivered exactly once, whichever side of the rename the crash fell
    (rij,) = records(pad)
    assert rij["status"] == "verzonden"
    assert rij["message_id"] in emls[0].read_text(encoding="utf-8", errors="replace")


@pytest.mark.subprocess
def test_final_failure_is_recorded_and_shown_then_a_later_send_works(smtp_omgeving):
    pad, server = smtp_omgeving
    server.weiger_tijdelijk = 10
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 3 and "tijdelijk" in r.stderr and "Traceback" not in r.stderr
    assert server.data_pogingen == 2 and server.berichten == []  # retries = 2 in the config
    assert "retrying" in r.stderr  # the retry is logged
    assert records(pad)[0]["status"] == "mislukt"
    status = pmiek("status", "--config", str(pad))
    assert "2026Q4: mislukt via smtp" in status.stdout and "tijdelijk" in status.stdout

    server.weiger_tijdelijk = 0
    r = pmiek("report", "--quarter", "2026Q4", "--send", "--config", str(pad))
    assert r.returncode == 0, r.stderr
    assert len(server.berichten) == 1
    assert [x["status"] for x in records(pad)] == ["mislukt", "verzonden"]


# --- schedule -----------------------------------------------------------------------------

def test_default_schedule_is_first_monday_of_the_quarter_at_eight(tmp_path):
    inst = laad_config(maak_config(tmp_path)).report
    trig = kwartaal_trigger(inst)
    t = dt.datetime(2026, 11, 28, 12, 0, tzinfo=TZ)
    volgende = []
    for _ in range(4):
        t = trig.get_next_fire_time(None, t + dt.timedelta(minutes=1))
        volgende.append(t)
    assert [x.isoformat() for x in volgende] == [
        "2027-01-04T08:00:00+01:00", "2027-04-05T08:00:00+02:00", "2027-07-05T08:00:00+02:00",
        "2027-10-04T08:00:00+02:00"]
    assert kr.te_rapporteren_kwartaal(volgende[0]) == "2026Q4"
    assert kr.te_rapporteren_kwartaal(volgende[1]) == "2027Q1"


def test_schedule_is_configurable_and_validated(tmp_path):
    from fiche.errors import ConfigError
    pad = maak_config(tmp_path / "a", extra='cron = "30 9 1-7 2,5,8,11 tue"\n')
    trig = kwartaal_trigger(laad_config(pad).report)
    assert trig.get_next_fire_time(None, dt.datetime(2026, 11, 28, tzinfo=TZ)).isoformat() == "2027-02-02T09:30:00+01:00"
    with pytest.raises(ConfigError) as e:
        laad_config(maak_config(tmp_path / "b", extra='cron = "0 2 * * 1"\n'))
    assert e.value.key == "report.cron"
    with pytest.raises(ConfigError) as e:
        laad_config(maak_config(tmp_path / "c", extra="catch_up_days = 400\n"))
    assert e.value.key == "report.catch_up_days" and "92" in e.value.melding
    with pytest.raises(ConfigError) as e:
        laad_config(maak_config(tmp_path / "d", extra="smtp_hots = 1\n"))
    assert e.value.key == "report.smtp_hots"
    pad = maak_config(tmp_path / "e")
    pad.write_text(pad.read_text().replace('"wip@drenthe.nl"', '"wip@drenthe.nl\\nBcc: x@evil.example"'))
    with pytest.raises(ConfigError) as e:
        laad_config(pad)
    assert e.value.key == "report.recipients" and "geen geldig e-mailadres" in e.value.melding
    pad = maak_config(tmp_path / "f", "smtp", smtp_port=25, ca=tmp_path / "ca.pem")
    pad.write_text("\n".join(r for r in pad.read_text().splitlines() if not r.startswith("smtp_host")))
    with pytest.raises(ConfigError) as e:
        laad_config(pad)
    assert e.value.key == "report.smtp_host"


def _wacht(voorwaarde, seconden: float = 60) -> None:
    eind = time.monotonic() + seconden
    while time.monotonic() < eind:
        if voorwaarde():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_service_down_at_the_time_sends_once_on_restart(tmp_path, store_url):
    """The job is stored in the service's job store; the service is down on the first Monday of
    January and starts on Wednesday: it sends once; a second restart sends nothing."""
    from sync.dienst import start_schema
    from sync.store import open_store

    pad = maak_config(tmp_path, store=store_url)
    config = laad_config(pad)

    def start_dienst():
        # The service's own start-up: both jobs, paused start, add-when-absent, resume.
        store = open_store(config.store_url)
        return start_schema(config, store.engine), store

    with time_machine.travel(dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ), tick=False):
        scheduler, store = start_dienst()
        job = scheduler.get_job(kr.JOB_ID)
        assert job.next_run_time.isoformat() == "2027-01-04T08:00:00+01:00"
        scheduler.shutdown()
        store.close()

    with time_machine.travel(dt.datetime(2027, 1, 6, 10, 0, tzinfo=TZ), tick=True):
        scheduler, store = start_dienst()
        try:
            _wacht(lambda: any(x["status"] == "verzonden" for x in records(pad)))
            _wacht(lambda: scheduler.get_job(kr.JOB_ID).next_run_time.year == 2027
                   and scheduler.get_job(kr.JOB_ID).next_run_time.month == 4)
        finally:
            scheduler.shutdown(wait=True)
            store.close()
    (rij,) = records(pad)
    # Sent by the quarterly job's own catch-up, or by the due check after the sync job's catch-up
    # (sync.kwartaal.inhalen), whichever ran first: once.
    assert rij["kwartaal"] == "2026Q4" and rij["status"] == "verzonden"
    assert rij["aanleiding"] in ("gepland", "ingehaald")
    assert len(list((tmp_path / "outbox").glob("2026Q4-*.eml"))) == 1
    # The job synced first: a scheduled run finished before the report record was made (the
    # sync job's own catch-up may have run too).
    store = open_store(config.store_url)
    try:
        runs = store.runs()
        assert runs and {r.aanleiding for r in runs} == {"gepland"}
        assert any(r.status == "ok" and r.einde <= rij["aangemaakt"] for r in runs)
    finally:
        store.close()

    with time_machine.travel(dt.datetime(2027, 1, 7, 10, 0, tzinfo=TZ), tick=True):
        scheduler, store = start_dienst()
        try:
            assert scheduler.get_job(kr.JOB_ID).next_run_time.isoformat() == "2027-04-05T08:00:00+02:00"
            # Even running the job by hand again does not send twice.
            kr.geplande_rapportage(str(pad))
        finally:
            scheduler.shutdown(wait=True)
            store.close()
    assert len(records(pad)) == 1
    assert len(list((tmp_path / "outbox").glob("2026Q4-*.eml"))) == 1


@pytest.mark.subprocess
def test_demo_writes_the_quarterly_email_into_its_outbox(tmp_path):
    r = pmiek("demo", "--dir", str(tmp_path / "demo"))
    assert r.returncode == 0, r.stderr
    assert "kwartaaloverzicht:" in r.stdout
    (eml,) = (tmp_path / "demo" / "outbox").glob("pmiek-kwartaaloverzicht-*.eml")
    import email as email_mod
    from email.policy import default as default_policy
    msg = email_mod.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert [p.get_content_type() for p in msg.walk()][:3] == ["multipart/mixed", "multipart/alternative", "text/plain"]
    html_tekst = eml.with_suffix(".html").read_text(encoding="utf-8")
    assert f'src="{eml.with_suffix(".png").name}"' in html_tekst and ">Gevraagd van de Energy Board</h2>" in html_tekst
    # Four quarters of history: the e-mail tells what changed since the previous quarter.
    assert "nieuw op rood" in html_tekst.lower() and "Geen wijzigingen in de stoplichten" not in html_tekst
    assert records(tmp_path / "demo" / "pmiek.toml") == []  # a preview: the real send stays possible


def test_no_catch_up_when_configured_off(tmp_path, store_url):
    """catch_up_days = 0: a quarterly run missed while the service was down is skipped, not
    sent late (APScheduler would read a grace of None as 'no limit')."""
    from sync.dienst import start_schema
    from sync.store import open_store

    pad = maak_config(tmp_path, extra="catch_up_days = 0\n", store=store_url)
    config = laad_config(pad)
    with time_machine.travel(dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ), tick=False):
        store = open_store(config.store_url)
        scheduler = start_schema(config, store.engine)
        assert scheduler.get_job(kr.JOB_ID).misfire_grace_time == 1
        scheduler.shutdown()
        store.close()
    with time_machine.travel(dt.datetime(2027, 1, 6, 10, 0, tzinfo=TZ), tick=True):
        store = open_store(config.store_url)
        scheduler = start_schema(config, store.engine)
        try:
            _wacht(lambda: scheduler.get_job(kr.JOB_ID).next_run_time.month == 4)
        finally:
            scheduler.shutdown(wait=True)
            store.close()
    assert records(pad) == []
    assert not (tmp_path / "outbox").exists()
