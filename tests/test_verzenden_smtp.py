"""SMTP and outbox transports against a real aiosmtpd server on loopback (STARTTLS, AUTH LOGIN)."""

from __future__ import annotations

import datetime as dt
import email
import io
import logging
from email.policy import default as default_policy

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from fiche.errors import ConfigError
from mailserver import GEBRUIKER, WACHTWOORD, MailServer, maak_certificaat, vrije_poort
from sample_overzicht import sample_overzicht
from sync.kwartaal.bericht import bouw_bericht, onderdelen
from sync.kwartaal.inhoud import bouw_rapport
from sync.kwartaal.tijdlijn import tijdlijn_png
from sync.kwartaal.transport import (
    Herhaling, OnzekereVerzending, OutboxTransport, SmtpInstellingen, SmtpTransport, TijdelijkeVerzendFout,
    VerzendFout,
)
from sync.master import BLADEN

SHEETS = list(BLADEN)  # the attached master has every sheet of ours


@pytest.fixture
def smtp_login(monkeypatch):
    monkeypatch.setenv("PMIEK_SMTP_USER", GEBRUIKER)
    monkeypatch.setenv("PMIEK_SMTP_PASSWORD", WACHTWOORD)


@pytest.fixture(scope="module")
def bericht(tmp_path_factory):
    from sync.master import schrijf_master
    o = sample_overzicht()
    pad = tmp_path_factory.mktemp("master") / "m.xlsx"
    schrijf_master(o, pad)
    r = bouw_rapport(o)
    return bouw_bericht(r, tijdlijn_png(r.projecten, r.peildatum), pad.read_bytes(), afzender="pmiek@drenthe.nl",
                        ontvangers=["energy-board@drenthe.nl", "wip@drenthe.nl"],
                        datum=dt.datetime(2026, 10, 5, 6, 0, tzinfo=dt.timezone.utc))


def transport(server: MailServer, cert, pogingen: int = 3, timeout: float = 10) -> SmtpTransport:
    slapen: list[float] = []
    t = SmtpTransport(SmtpInstellingen(host="127.0.0.1", port=server.port, ca_bundle=cert, timeout=timeout),
                      Herhaling(pogingen=pogingen, basis=0.5, slaap=slapen.append))
    t.slapen = slapen  # type: ignore[attr-defined]
    return t


def test_smtp_delivers_a_parseable_report(smtp_server, certificaat, smtp_login, bericht, tmp_path):
    resultaat = transport(smtp_server, certificaat[0]).verzend(bericht)
    assert resultaat.transport == "smtp" and "250" in resultaat.detail
    (ontvangen,) = smtp_server.berichten
    assert ontvangen.afzender == "pmiek@drenthe.nl"
    assert ontvangen.ontvangers == ["energy-board@drenthe.nl", "wip@drenthe.nl"]
    assert smtp_server.logins == [GEBRUIKER]  # AUTH LOGIN, after STARTTLS (the server requires both)

    msg = ontvangen.bericht
    assert msg["Message-ID"] == bericht["Message-ID"]
    assert msg.get_content_type() == "multipart/mixed"
    alternatief = msg.get_payload()[0]
    assert alternatief.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternatief.get_payload()] == ["text/plain", "multipart/related"]
    related = alternatief.get_payload()[1]
    html_deel, beeld = related.get_payload()
    assert html_deel.get_content_type() == "text/html" and beeld.get_content_type() == "image/png"
    cid = beeld["Content-ID"].strip().strip("<>")
    assert f'src="cid:{cid}"' in html_deel.get_content()
    assert beeld.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    # Hostile fiche text arrived escaped.
    assert "<script>" not in html_deel.get_content() and "&lt;script&gt;" in html_deel.get_content()

    # The attachment opens as the master workbook, in two independent readers.
    (naam, data, soort), = onderdelen(msg)["bijlagen"]
    assert naam == "pMIEK-monitoring-2026Q3.xlsx"
    assert soort == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert load_workbook(io.BytesIO(data), read_only=True).sheetnames == SHEETS
    assert CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names == SHEETS
    # A formula-looking knelpunt is a text cell in the attached master, not a formula.
    (pad := tmp_path / "a.xlsx").write_bytes(data)
    wb = load_workbook(pad)
    formules = [c.value for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f" and "HYPERLINK" in str(c.value)]
    assert formules == []


def test_transient_refusal_is_retried_with_backoff(smtp_server, certificaat, smtp_login, bericht, caplog):
    smtp_server.weiger_tijdelijk = 2
    t = transport(smtp_server, certificaat[0], pogingen=3)
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.kwartaal.transport"):
        t.verzend(bericht)
    assert len(smtp_server.berichten) == 1 and smtp_server.data_pogingen == 3
    assert len(t.slapen) == 2 and t.slapen[1] > t.slapen[0] >= 0.5  # exponential
    assert sum("transient failure" in r.getMessage() for r in caplog.records) == 2


def test_transient_refusal_gives_up_after_the_bound(smtp_server, certificaat, smtp_login, bericht):
    smtp_server.weiger_tijdelijk = 5
    with pytest.raises(TijdelijkeVerzendFout) as e:
        transport(smtp_server, certificaat[0], pogingen=2).verzend(bericht)
    assert smtp_server.data_pogingen == 2 and smtp_server.berichten == []
    assert e.value.status == 451 and "tijdelijk" in e.value.melding


def test_wrong_password_is_final_and_not_retried(smtp_server, certificaat, monkeypatch, bericht, caplog):
    monkeypatch.setenv("PMIEK_SMTP_USER", GEBRUIKER)
    monkeypatch.setenv("PMIEK_SMTP_PASSWORD", "fout")
    t = transport(smtp_server, certificaat[0])
    with pytest.raises(VerzendFout) as e:
        t.verzend(bericht)
    assert "login" in e.value.melding and t.slapen == []
    assert "fout" not in " ".join(r.getMessage() for r in caplog.records)  # the password is never logged


def test_missing_credentials_name_the_variable(smtp_server, certificaat, monkeypatch, bericht):
    monkeypatch.delenv("PMIEK_SMTP_USER", raising=False)
    with pytest.raises(ConfigError) as e:
        transport(smtp_server, certificaat[0]).verzend(bericht)
    assert "PMIEK_SMTP_USER" in e.value.melding


def test_untrusted_certificate_is_refused(smtp_server, smtp_login, bericht, tmp_path):
    ander, _ = maak_certificaat(tmp_path)  # a different self-signed CA
    with pytest.raises(VerzendFout) as e:
        transport(smtp_server, ander).verzend(bericht)
    assert "certificaat" in e.value.melding and smtp_server.berichten == []


def test_no_server_is_transient(certificaat, smtp_login, bericht):
    t = SmtpTransport(SmtpInstellingen(host="127.0.0.1", port=vrije_poort(), ca_bundle=certificaat[0], timeout=5),
                      Herhaling(pogingen=2, basis=0.1, slaap=lambda s: None))
    with pytest.raises(TijdelijkeVerzendFout) as e:
        t.verzend(bericht)
    assert "niet bereikbaar" in e.value.melding


def test_connection_lost_during_data_is_uncertain_and_not_retried(smtp_server, certificaat, smtp_login, bericht):
    # The server stores the message and then drops the connection instead of answering 250.
    def verbreek():
        raise ConnectionResetError("weg")
    smtp_server.na_ontvangst = verbreek
    t = transport(smtp_server, certificaat[0], timeout=3)
    with pytest.raises(OnzekereVerzending) as e:
        t.verzend(bericht)
    assert "onbekend" in e.value.melding
    assert len(smtp_server.berichten) == 1 and t.slapen == []  # not sent twice


def test_outbox_writes_eml_preview_and_picture_and_knows_what_it_sent(bericht, tmp_path):
    t = OutboxTransport(tmp_path / "outbox")
    assert t.al_verzonden(str(bericht["Message-ID"])) is False
    r = t.verzend(bericht)
    eml = tmp_path / "outbox" / r.detail.rsplit("/", 1)[-1]
    assert eml.suffix == ".eml" and eml.name.startswith("2026Q3-")
    terug = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert terug["Message-ID"] == bericht["Message-ID"]
    html_pad, png_pad = eml.with_suffix(".html"), eml.with_suffix(".png")
    assert png_pad.read_bytes()[:4] == b"\x89PNG"
    # The preview shows the picture from the sibling file; the .eml keeps the cid reference.
    assert f'src="{png_pad.name}"' in html_pad.read_text(encoding="utf-8")
    assert 'src="cid:' in onderdelen(terug)["html"]
    assert t.al_verzonden(str(bericht["Message-ID"])) is True
    assert t.al_verzonden("<ander@drenthe.nl>") is False
    assert not list((tmp_path / "outbox").glob(".*tmp"))  # no leftovers of the atomic writes
