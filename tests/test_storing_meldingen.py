"""Two messages that named the wrong cause (issue 15), and the SMTP hand-over point the quarterly
record follows: a real aiosmtpd server on loopback, the real office365 client against the Graph stub."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from mailserver import GEBRUIKER, WACHTWOORD, MailServer
from sample_overzicht import sample_overzicht

from fiche.errors import ConfigError
from sync.herhaling import Herhaling
from sync.kwartaal.bericht import bouw_bericht
from sync.kwartaal.inhoud import bouw_rapport
from sync.kwartaal.tijdlijn import tijdlijn_png
from sync.kwartaal.transport import SmtpInstellingen, SmtpTransport, TijdelijkeVerzendFout, VerzendFout
from sync.publiceren import SharePointPublicatie


@pytest.fixture(scope="module")
def bericht(tmp_path_factory):
    from sync.master import schrijf_master
    o = sample_overzicht()
    pad = tmp_path_factory.mktemp("master") / "m.xlsx"
    schrijf_master(o, pad)
    r = bouw_rapport(o)
    return bouw_bericht(r, tijdlijn_png(r.projecten, r.peildatum), pad.read_bytes(), afzender="pmiek@drenthe.nl",
                        ontvangers=["energy-board@drenthe.nl"],
                        datum=dt.datetime(2026, 10, 5, 6, tzinfo=dt.timezone.utc))


@pytest.fixture
def smtp_login(monkeypatch):
    monkeypatch.setenv("PMIEK_SMTP_USER", GEBRUIKER)
    monkeypatch.setenv("PMIEK_SMTP_PASSWORD", WACHTWOORD)


def _transport(server: MailServer, cert, pogingen: int = 1) -> SmtpTransport:
    return SmtpTransport(SmtpInstellingen(host="127.0.0.1", port=server.port, ca_bundle=cert, timeout=10),
                         Herhaling(pogingen=pogingen, basis=0.01, slaap=lambda s: None))


def test_server_without_auth_is_named_as_such_not_as_missing_starttls(certificaat, smtp_login, bericht):
    server = MailServer(*certificaat, auth=False).start()
    try:
        with pytest.raises(VerzendFout) as e:
            _transport(server, certificaat[0]).verzend(bericht)
    finally:
        server.stop()
    assert "biedt geen inloggen (AUTH)" in e.value.melding and "STARTTLS" not in e.value.melding
    assert "report.smtp_user_env" in e.value.melding
    assert server.berichten == [] and server.data_pogingen == 0


def test_hand_over_is_reported_at_data_and_withdrawn_on_refusal(smtp_server, certificaat, smtp_login, bericht):
    """The quarterly record follows these calls: True once the server said 354 to DATA, False
    when it then refused; so a process killed during the backoff leaves 'not handed over'."""
    smtp_server.weiger_tijdelijk = 2
    stappen: list[bool] = []
    t = _transport(smtp_server, certificaat[0], pogingen=2)
    with pytest.raises(TijdelijkeVerzendFout):
        t.verzend(bericht, stappen.append)
    assert stappen == [True, False, True, False] and smtp_server.berichten == []
    stappen.clear()
    t.verzend(bericht, stappen.append)
    assert stappen == [True] and len(smtp_server.berichten) == 1


def test_missing_upload_folder_names_its_own_key(graph_verbinding, graph_stub, tmp_path):
    master = tmp_path / "m.xlsx"
    master.write_bytes(b"PK\x03\x04" + os.urandom(1000))
    publicatie = SharePointPublicatie(graph_verbinding, site=graph_stub.site, folder="Bestaat/Niet")
    with pytest.raises(ConfigError) as e:
        publicatie.publiceer(master)
    assert e.value.key == "master.upload_folder" and "bestaat niet" in e.value.melding
