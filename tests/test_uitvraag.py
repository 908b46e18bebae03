"""The uitvraag round's parts (sync.uitvraag): calendar, settings, the messages (test mode, opt-out,
hostile fiche text), the rate limit, the CLI without a config file, the outbox's answer after a
crash, and the job in `pmiek serve` catching up a day the service was down."""

from __future__ import annotations

import datetime as dt
import email
import time
from email.policy import default as default_policy
from pathlib import Path

import pytest
import time_machine
from test_uitvraag_ronde import LEIDER, fiche_bytes, maak_omgeving, moment, naam, sync_op, voorzitter, zet

from fiche.errors import ConfigError, InputError
from sync.config import UitvraagConfig, config_uit_dict, laad_config
from sync.kwartaal.transport import OutboxTransport
from sync.uitvraag import verzending
from sync.uitvraag.kalender import deadline, planning
from sync.uitvraag.stand import berichten

# --- calendar ----------------------------------------------------------------------------------


def test_deadline_from_meetings_or_weeks_before_the_quarter_end():
    assert deadline("2027Q1", UitvraagConfig()) == dt.date(2027, 3, 10)  # 31-3 minus three weeks
    assert deadline("2027Q1", UitvraagConfig(weeks_before_quarter_end=1)) == dt.date(2027, 3, 24)
    vergaderingen = UitvraagConfig(meeting_dates=[dt.date(2027, 2, 11), dt.date(2027, 3, 18), dt.date(2027, 6, 17)])
    assert deadline("2027Q1", vergaderingen) == dt.date(2027, 3, 11)  # the last meeting of Q1, a week before
    assert deadline("2027Q2", vergaderingen) == dt.date(2027, 6, 10)
    assert deadline("2027Q3", vergaderingen) == dt.date(2027, 9, 9)  # no meeting in Q3: the default


def test_what_is_due_catches_up_with_the_latest_reminder_only():
    plan = planning("2026Q4", UitvraagConfig())
    assert (plan.deadline, plan.verzoek_vanaf) == (dt.date(2026, 12, 10), dt.date(2026, 11, 19))
    assert not plan.verzoek_open(dt.date(2026, 11, 18)) and plan.verzoek_open(dt.date(2026, 12, 10))
    assert plan.herinnering_nu(dt.date(2026, 12, 2)) is None
    assert plan.herinnering_nu(dt.date(2026, 12, 3)) == 7
    assert plan.herinnering_nu(dt.date(2026, 12, 9)) == 2  # the service was down on the 8th
    assert plan.herinnering_nu(dt.date(2026, 12, 11)) is None
    assert not plan.deadline_voorbij(dt.date(2026, 12, 10)) and plan.deadline_voorbij(dt.date(2026, 12, 11))


# --- settings ------------------------------------------------------------------------------------

def _config(uitvraag: dict) -> UitvraagConfig:
    return config_uit_dict({"source": {"type": "folder", "path": "f"}, "report": {"recipients": ["pl@drenthe.nl"]},
                            "uitvraag": uitvraag}, Path("/tmp")).uitvraag


def test_settings_and_their_defaults():
    leeg = config_uit_dict({"source": {"type": "folder", "path": "f"}}, Path("/tmp")).uitvraag
    assert not leeg.enabled  # no section: no scheduled round
    u = _config({"meeting_dates": [dt.date(2027, 3, 18)], "reminder_days": [2, 7], "opt_out": ["A@Drenthe.nl"]})
    assert u.enabled and u.reminder_days == (7, 2) and u.project_leader == ["pl@drenthe.nl"]
    assert u.afgemeld("a@drenthe.nl ") and not u.afgemeld("b@drenthe.nl") and not u.cc_team


@pytest.mark.parametrize("uitvraag, sleutel", [
    ({"reminder_day": [7]}, "uitvraag.reminder_day"),
    ({"reminder_days": [30]}, "uitvraag.reminder_days"),  # not after the request (21 days before)
    ({"reminder_days": [7, 7]}, "uitvraag.reminder_days"),
    ({"meeting_dates": ["18-3-2027"]}, "uitvraag.meeting_dates"),
    ({"test_address": "niet een adres"}, "uitvraag.test_address"),
    ({"opt_out": ["x@"]}, "uitvraag.opt_out"),
    ({"messages_per_minute": 0}, "uitvraag.messages_per_minute"),
    ({"cc_team": "ja"}, "uitvraag.cc_team"),
    ({"cron": "0 2 * * *"}, "uitvraag.cron"),
])
def test_bad_settings_name_their_key(uitvraag, sleutel):
    with pytest.raises(ConfigError) as e:
        _config(uitvraag)
    assert e.value.key == sleutel


# --- rate limit ---------------------------------------------------------------------------------

def test_the_rate_limit_spaces_messages_and_gives_up_when_the_service_stops():
    pauzes: list[float] = []

    def slaap(s: float) -> bool:
        pauzes.append(s)
        time.sleep(s)
        return True

    tempo = verzending.Tempo(600, slaap)  # 0.1 s apart
    begin = time.monotonic()
    assert all(tempo.wacht() for _ in range(4))
    assert len(pauzes) == 3 and time.monotonic() - begin >= 0.29
    gestopt = verzending.Tempo(1, lambda s: False)
    assert gestopt.wacht() and not gestopt.wacht()


# --- the round through the outbox -----------------------------------------------------------------

def _uitvraag(pad: Path) -> tuple[verzending.Uitvraag, object]:
    return verzending.voor_config(laad_config(pad))


def _lees(pad: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(pad.read_bytes(), policy=default_policy)


def test_test_mode_sends_everything_to_one_address_in_a_round_of_its_own(tmp_path):
    pad = maak_omgeving(tmp_path, "outbox", aantal=3, zonder_adres=None,
                        uitvraag='test_address = "tester@drenthe.nl"\n')
    sync_op(pad, moment(11, 19, 7))
    uitvraag, store = _uitvraag(pad)
    try:
        with time_machine.travel(moment(11, 20), tick=True):
            uitslag = uitvraag.verwerk("2026Q4", OutboxTransport(tmp_path / "outbox"))
        assert uitslag.ronde == "2026Q4-test" and len(uitslag.verzonden) == 3
        assert berichten(store.engine, "2026Q4") == []  # the real round is untouched
    finally:
        store.close()
    for eml in (tmp_path / "outbox").glob("uitvraag-2026Q4-verzoek-*.eml"):
        m = _lees(eml)
        assert str(m["To"]) == "tester@drenthe.nl" and m["Cc"] is None and str(m["Subject"]).startswith("[TEST] ")
        assert "TESTMODUS: dit bericht is bedoeld voor" in m.get_body(("plain",)).get_content()


def test_hostile_fiche_text_stays_text_and_out_of_the_headers(tmp_path):
    pad = maak_omgeving(tmp_path, "outbox", aantal=1, zonder_adres=None)
    zet(tmp_path, 0, fiche_bytes(0, projectnaam="<script>alert(1)</script>\r\nBcc: x@evil.example",
                                 toelichting="=HYPERLINK(\"http://evil.example\")"), moment(11, 10, 12))
    sync_op(pad, moment(11, 19, 7))
    uitvraag, store = _uitvraag(pad)
    try:
        with time_machine.travel(moment(11, 20), tick=True):
            uitvraag.verwerk("2026Q4", OutboxTransport(tmp_path / "outbox"))
    finally:
        store.close()
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    m = _lees(eml)
    assert m["Bcc"] is None and "\n" not in str(m["Subject"])
    html_tekst = m.get_body(("html",)).get_content()
    assert "<script>" not in html_tekst and "&lt;script&gt;" in html_tekst


def test_an_interrupted_outbox_message_is_settled_by_asking_the_outbox(tmp_path):
    """A crash after the .eml was written but before the record was completed: the next run sees
    the file and completes the record instead of writing a second message."""
    pad = maak_omgeving(tmp_path, "outbox", aantal=2, zonder_adres=None)
    sync_op(pad, moment(11, 19, 7))
    outbox = OutboxTransport(tmp_path / "outbox")
    uitvraag, store = _uitvraag(pad)
    try:
        with time_machine.travel(moment(11, 20), tick=True):
            uitvraag.verwerk("2026Q4", outbox)
            from sqlalchemy import update

            from sync.uitvraag.tabellen import uitvraag_berichten
            with store.engine.begin() as conn:  # as a SIGKILL right after the hand-over leaves it
                conn.execute(update(uitvraag_berichten).values(status="verzenden"))
            uitslag = uitvraag.verwerk("2026Q4", outbox)
        assert len(uitslag.verzonden) == 2 and not uitslag.controleren
        assert {r["status"] for r in berichten(store.engine, "2026Q4")} == {"verzonden"}
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    finally:
        store.close()


# --- the CLI without a config file ------------------------------------------------------------------

def test_cli_with_store_and_outbox_only(tmp_path, capsys):
    from pmiek.cli import main

    pad = maak_omgeving(tmp_path, "outbox", aantal=2, zonder_adres=None)
    sync_op(pad, moment(11, 19, 7))
    store = tmp_path / "pmiek.sqlite"
    with time_machine.travel(moment(11, 20), tick=True):
        assert main(["uitvraag", "--quarter", "2026Q4", "--preview", str(tmp_path / "p"), "--store", str(store)]) == 0
        assert "5 berichten geschreven" in capsys.readouterr().out  # 2 requests, 2 reminders, the notice
        assert main(["uitvraag", "--send", "--store", str(store), "--outbox", str(tmp_path / "uit")]) == 0
        uit = capsys.readouterr().out
        assert "Uitvraag 2026Q4 (deadline 10 december 2026)" in uit and uit.count("verzonden: verzoek") == 2
        assert main(["uitvraag", "--send", "--store", str(store), "--outbox", str(tmp_path / "uit")]) == 0
        assert "Niets aan de beurt" in capsys.readouterr().out
        assert main(["uitvraag", "--send", "--store", str(store)]) == 2
        assert "--outbox" in capsys.readouterr().err
    assert {_lees(p)["To"] for p in (tmp_path / "uit").glob("*.eml")} == {voorzitter(0), voorzitter(1)}
    with time_machine.travel(moment(12, 12), tick=True):
        # After the deadline a round that never started is not started any more.
        with pytest.raises(InputError):
            uitvraag, s = verzending.voor_config(laad_config(pad))
            try:
                uitvraag.verwerk("2026Q3", OutboxTransport(tmp_path / "uit"), starten=True)
            finally:
                s.close()


# --- the service ------------------------------------------------------------------------------------

def test_the_service_catches_up_a_day_it_was_down(tmp_path):
    from sync.dienst import start_schema
    from sync.store import open_store

    pad = maak_omgeving(tmp_path, "outbox", aantal=2, zonder_adres=None)
    sync_op(pad, moment(11, 18, 7))
    config = laad_config(pad)
    with time_machine.travel(moment(11, 18, 9, ) + dt.timedelta(minutes=30), tick=False):
        store = open_store(config.store_url)
        scheduler = start_schema(config, store.engine)
        assert scheduler.get_job(verzending.JOB_ID).next_run_time.isoformat() == "2026-11-19T09:00:00+01:00"
        scheduler.shutdown()
        store.close()
    # Down on the 19th at 09:00; started on the 20th: the requests go out once.
    with time_machine.travel(moment(11, 20, 10), tick=True):
        store = open_store(config.store_url)
        scheduler = start_schema(config, store.engine)
        try:
            eind = time.monotonic() + 60
            while time.monotonic() < eind and len(list((tmp_path / "outbox").glob("uitvraag-*.eml"))) < 2:
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
            store.close()
    emls = list((tmp_path / "outbox").glob("uitvraag-2026Q4-verzoek-*.eml"))
    assert {str(_lees(p)["To"]) for p in emls} == {voorzitter(0), voorzitter(1)}
    assert naam(0) in str(_lees(emls[0])["Subject"]) or naam(1) in str(_lees(emls[0])["Subject"])
    assert LEIDER not in {str(_lees(p)["To"]) for p in emls}


def test_no_job_without_the_section(tmp_path):
    from sync.dienst import start_schema
    from sync.store import open_store

    pad = maak_omgeving(tmp_path, "outbox", aantal=1, zonder_adres=None)
    tekst = pad.read_text(encoding="utf-8")
    pad.write_text(tekst[:tekst.index("[uitvraag]")], encoding="utf-8")
    config = laad_config(pad)
    store = open_store(config.store_url)
    try:
        scheduler = start_schema(config, store.engine)
        assert scheduler.get_job(verzending.JOB_ID) is None
        scheduler.shutdown()
    finally:
        store.close()


def test_the_demo_writes_the_rounds_messages_into_its_outbox(tmp_path, capsys):
    from pmiek.cli import main

    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    assert "uitvraag:" in capsys.readouterr().out
    outbox = tmp_path / "demo" / "outbox"
    verzoeken = sorted(outbox.glob("uitvraag-2026Q4-*-verzoek.eml"))
    assert len(verzoeken) == 10 and len(list(outbox.glob("uitvraag-2026Q4-*-herinnering.eml"))) >= 1
    (melding,) = outbox.glob("uitvraag-2026Q4-deadline.eml")
    assert "stand bij de deadline" in str(_lees(melding)["Subject"])
    m = _lees(verzoeken[0])
    assert m["X-Pmiek-Uitvraag"] == "verzoek" and "Beste " in m.get_body(("plain",)).get_content()
    html_tekst = verzoeken[0].with_suffix(".html").read_text(encoding="utf-8")
    assert "Bevindingen van de laatste controle" in html_tekst and "Graag bijgewerkt vóór" in html_tekst
    # Previews only: no round was opened, so a real send is still possible.
    uitvraag, store = _uitvraag(tmp_path / "demo" / "pmiek.toml")
    try:
        assert berichten(store.engine, "2026Q4") == []
    finally:
        store.close()


def test_the_frozen_quarter_keeps_its_uitvraag_stand():
    """The quarterly snapshot (JSON in the store) carries the round's stand, so its master keeps the sheet."""
    from sample_overzicht import sample_overzicht

    from sync.kwartaal.rapportage import overzicht_naar_json, overzicht_van_json
    from sync.overzicht import UitvraagRij, UitvraagStand

    o = sample_overzicht()
    o.uitvraag = UitvraagStand("2026Q3", dt.date(2026, 9, 9), dt.datetime(2026, 8, 19, 7, tzinfo=dt.timezone.utc), [
        UitvraagRij("Project A", "Anna", "anna@example.nl", dt.datetime(2026, 8, 19, 7, tzinfo=dt.timezone.utc),
                    None, None, False, "Nieuwste versie afgekeurd")])
    assert overzicht_van_json(overzicht_naar_json(o)) == o


def test_the_fiche_link_is_the_web_url_or_the_files_path():
    from sync.uitvraag.stand import fiche_link, geldig_adres

    web = "https://drenthe.sharepoint.com/sites/pmiek/Gedeelde%20documenten/Fiches/emmen.xlsx"
    assert fiche_link(web) == (web, web)
    assert fiche_link("file:///data/fiches/emmen%20noord.xlsx") == ("/data/fiches/emmen noord.xlsx",
                                                                    "file:///data/fiches/emmen%20noord.xlsx")
    assert fiche_link(None) == (None, None)
    assert geldig_adres(" anna@drenthe.nl ") == "anna@drenthe.nl"
    assert geldig_adres("anna@drenthe.nl\r\nBcc: x@evil.example") is None and geldig_adres(None) is None
