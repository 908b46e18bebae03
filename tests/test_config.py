"""The service's TOML config: valid files load, every mistake names its key, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fiche.errors import ConfigError
from sync.config import laad_config

VOLLEDIG_MAP = """
[source]
type = "folder"
path = "fiches"

[store]
path = "data/pmiek.sqlite"

[master]
path = "uit/master.xlsx"
publish = "folder"
publish_folder = "/srv/share/monitoring"

[sync]
cron = "30 6 * * 1-5"
timezone = "Europe/Amsterdam"
nabij_maanden = 4

[report]
recipients = ["energyboard@example.nl"]
sender = "pmiek@example.nl"
transport = "smtp"
smtp_host = "smtp.example.nl"
"""

SHAREPOINT = """
[source]
type = "sharepoint"
tenant_id = "11111111-2222-3333-4444-555555555555"
client_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
site = "provinciedrenthe.sharepoint.com:/sites/pmiek"
folder = "Projectfiches"
certificate = "/etc/pmiek/app.pem"
certificate_thumbprint = "AB12CD34"

[master]
publish = "sharepoint"
upload_folder = "Monitoring"
"""


def schrijf(tmp_path: Path, tekst: str) -> Path:
    pad = tmp_path / "pmiek.toml"
    pad.write_text(tekst, encoding="utf-8")
    return pad


def test_full_folder_config(tmp_path) -> None:
    c = laad_config(schrijf(tmp_path, VOLLEDIG_MAP))
    assert c.source.type == "folder" and c.source.folder.path == tmp_path / "fiches"
    assert c.store_path == tmp_path / "data" / "pmiek.sqlite"
    assert c.store_url == "sqlite:///" + str((tmp_path / "data" / "pmiek.sqlite").resolve())
    assert c.master.path == tmp_path / "uit" / "master.xlsx" and c.master.publish == "folder"
    assert c.master.publish_folder == Path("/srv/share/monitoring")
    assert (c.sync.cron, c.sync.timezone, c.sync.nabij_maanden) == ("30 6 * * 1-5", "Europe/Amsterdam", 4)
    assert c.report.recipients == ["energyboard@example.nl"] and c.report.transport == "smtp"
    assert c.report.smtp is not None and (c.report.smtp.host, c.report.smtp.port) == ("smtp.example.nl", 587)
    assert c.lock_path == tmp_path / "data" / "pmiek.sqlite.lock"


def test_defaults(tmp_path) -> None:
    c = laad_config(schrijf(tmp_path, '[source]\npath = "/data/fiches"\n'))
    assert c.source.type == "folder"
    assert c.store_path == tmp_path / "pmiek.sqlite"
    assert c.master.path == tmp_path / "pMIEK-monitoring.xlsx" and c.master.publish == "none"
    assert c.sync.cron == "0 7 * * 1-5" and c.sync.timezone == "Europe/Amsterdam" and c.sync.nabij_maanden == 3
    assert (c.sync.readers, c.sync.read_timeout_seconds) == (0, 120)
    r = c.report
    assert (r.recipients, r.sender, r.subject, r.transport) == (
        ["energy-board@localhost"], "pmiek-monitor@localhost", "pMIEK kwartaaloverzicht {kwartaal}", "outbox")
    assert r.outbox == tmp_path / "outbox" and r.cron is None and r.smtp is None
    assert (r.retries, r.retry_base_seconds, r.retry_max_seconds, r.catch_up_days) == (6, 30, 600, 7)


def test_sharepoint_config(tmp_path) -> None:
    c = laad_config(schrijf(tmp_path, SHAREPOINT))
    sp = c.source.sharepoint
    assert c.source.type == "sharepoint" and sp.folder == "Projectfiches" and sp.certificate == Path("/etc/pmiek/app.pem")
    assert sp.graph_url == "https://graph.microsoft.com" and c.master.upload_folder == "Monitoring"
    assert sp.certificate_password_env is None and sp.library is None


def test_certificate_passphrase_variable_and_library_by_name(tmp_path) -> None:
    tekst = SHAREPOINT.replace('certificate_thumbprint = "AB12CD34"',
                               'certificate_thumbprint = "AB12CD34"\ncertificate_password_env = "PMIEK_CERT_WACHTWOORD"\n'
                               'library = "Projectdocumenten"')
    sp = laad_config(schrijf(tmp_path, tekst)).source.sharepoint
    assert sp.certificate_password_env == "PMIEK_CERT_WACHTWOORD" and sp.library == "Projectdocumenten"


def test_report_settings_are_checked_at_start_up(tmp_path) -> None:
    tekst = ('[source]\npath = "x"\n[report]\ntransport = "smtp"\nsmtp_host = " mail.example.nl "\nsmtp_port = 25\n'
             'smtp_starttls = false\nsmtp_user_env = ""\nsmtp_ca_bundle = "ca.pem"\ntimeout = 5\n'
             'recipients = ["eb@example.nl"]\nsender = "pmiek@example.nl"\nretries = 2\nretry_base_seconds = 0\n'
             'catch_up_days = 0\n')
    r = laad_config(schrijf(tmp_path, tekst)).report
    assert r.smtp is not None
    assert (r.smtp.host, r.smtp.port, r.smtp.starttls, r.smtp.user_env, r.smtp.password_env) == (
        "mail.example.nl", 25, False, None, "PMIEK_SMTP_PASSWORD")
    assert r.smtp.ca_bundle == tmp_path / "ca.pem" and r.smtp.timeout == 5
    assert (r.retries, r.retry_base_seconds, r.catch_up_days) == (2, 0, 0)


def test_secret_comes_from_the_environment(tmp_path, monkeypatch) -> None:
    tekst = SHAREPOINT.replace('certificate = "/etc/pmiek/app.pem"\ncertificate_thumbprint = "AB12CD34"',
                               'secret_env = "PMIEK_TEST_SECRET_X"')
    c = laad_config(schrijf(tmp_path, tekst))
    monkeypatch.delenv("PMIEK_TEST_SECRET_X", raising=False)
    with pytest.raises(ConfigError) as e:
        c.source.sharepoint.client_secret()
    assert e.value.key == "source.secret_env" and "PMIEK_TEST_SECRET_X" in e.value.melding
    monkeypatch.setenv("PMIEK_TEST_SECRET_X", "s3cret")
    assert c.source.sharepoint.client_secret() == "s3cret"


@pytest.mark.parametrize("tekst, key, woord", [
    ('[source]\npath = "x"\npaht = "y"\n', "source.paht", "onbekende instelling"),
    ('[source]\npath = "x"\n[sync]\ncron = "elke dag"\n', "sync.cron", "geen geldige cron"),
    ('[source]\npath = "x"\n[sync]\ncron = "30 2 * * *"\n', "sync.cron", "02:00 en 03:00"),
    ('[source]\npath = "x"\n[sync]\ncron = "0 1-4 * * *"\n', "sync.cron", "02:00 en 03:00"),
    ('[source]\npath = "x"\n[sync]\ntimezone = "Europe/Drenthe"\n', "sync.timezone", "geen bekende tijdzone"),
    ('[source]\npath = "x"\n[sync]\nnabij_maanden = "drie"\n', "sync.nabij_maanden", "geheel getal"),
    ('[source]\npath = "x"\n[sync]\nnabij_maanden = 99\n', "sync.nabij_maanden", "tussen 0 en 24"),
    ('[source]\npath = "x"\n[sync]\nreaders = -1\n', "sync.readers", "tussen 0 en 64"),
    ('[source]\npath = "x"\n[sync]\nread_timeout_seconds = 1\n', "sync.read_timeout_seconds", "tussen 5 en 86400"),
    ('[source]\ntype = "folder"\n', "source.path", "verplicht"),
    ('[source]\ntype = "dropbox"\npath = "x"\n', "source.type", "kies uit: folder, sharepoint"),
    ('[store]\npath = "x"\n', "source", "[source] ontbreekt"),
    ('[source]\npath = "x"\n[stor]\npath = "y"\n', "stor", "onbekende sectie"),
    ('[source]\npath = "x"\n[master]\npath = "m.xls"\n', "master.path", ".xlsx"),
    ('[source]\npath = "x"\n[master]\npublish = "folder"\n', "master.publish_folder", "verplicht"),
    ('[source]\npath = "x"\n[master]\npublish = "sharepoint"\n', "master.publish", "SharePoint-bron"),
    ('[source]\npath = "x"\n[store]\npath = "a"\nurl = "sqlite:///b"\n', "store.url", "niet beide"),
    ('[source]\npath = 5\n', "source.path", "moet tekst zijn"),
    ('[source]\npath = "x"\n[report]\nrecipients = "a@b.nl"\n', "report.recipients", "lijst"),
    ('[source]\npath = "x"\n[report]\nsmtp_password = "geheim"\n', "report.smtp_password", "geheimen horen niet"),
    ('[source]\npath = "x"\n[report]\nsmtp_hots = "m"\n', "report.smtp_hots", "onbekende instelling"),
    ('[source]\npath = "x"\n[report]\ntransport = "smtp"\nrecipients = ["a@b.nl"]\nsender = "c@d.nl"\n',
     "report.smtp_host", "verplicht"),
    ('[source]\npath = "x"\n[report]\ntransport = "smtp"\nsmtp_host = "m"\nsender = "c@d.nl"\n',
     "report.recipients", "verplicht om te verzenden"),
    ('[source]\npath = "x"\n[report]\nrecipients = ["Board <eb@example.nl>"]\n', "report.recipients",
     "geen geldig e-mailadres"),
    ('[source]\npath = "x"\n[report]\nsender = "pmiek"\n', "report.sender", "geen geldig e-mailadres"),
    ('[source]\npath = "x"\n[report]\ntransport = "graph"\nrecipients = ["a@b.nl"]\nsender = "c@d.nl"\n',
     "report.transport", "SharePoint-bron"),
    ('[source]\npath = "x"\n[report]\nsmtp_port = 70000\n', "report.smtp_port", "tussen 1 en 65535"),
    ('[source]\npath = "x"\n[report]\nretries = 2.5\n', "report.retries", "geheel getal"),
    ('[source]\npath = "x"\n[report]\ncatch_up_days = 93\n', "report.catch_up_days", "tussen 0 en 92"),
    ('[source]\npath = "x"\n[report]\nsmtp_starttls = "ja"\n', "report.smtp_starttls", "true of false"),
    ('[source]\npath = "x"\n[report]\nsmtp_user_env = 5\n', "report.smtp_user_env", "omgevingsvariabele"),
    (SHAREPOINT.replace('certificate_thumbprint = "AB12CD34"',
                        'certificate_thumbprint = "AB12CD34"\ncertificate_password_env = "s3cr3t wachtwoord!"'),
     "source.certificate_password_env", "niet het geheim zelf"),
    (SHAREPOINT.replace('certificate = "/etc/pmiek/app.pem"\ncertificate_thumbprint = "AB12CD34"',
                        'secret_env = "PMIEK_GEHEIM"\ncertificate_password_env = "PMIEK_CERT"'),
     "source.certificate_password_env", "hoort bij een certificaatbestand"),
    (SHAREPOINT.replace('folder = "Projectfiches"', 'folder = "Projectfiches"\nlibrary = "   "'),
     "source.library", "naam van de documentbibliotheek"),
    (SHAREPOINT.replace('site = "provinciedrenthe.sharepoint.com:/sites/pmiek"', 'drive_id = "b!x"\nlibrary = "Docs"'),
     "source.library", "hoort bij site"),
    (SHAREPOINT.replace('folder = "Projectfiches"', 'folder = "Projectfiches"\nlibrary = 3'),
     "source.library", "moet tekst zijn"),
    (SHAREPOINT.replace('certificate_thumbprint = "AB12CD34"', 'client_secret = "abc"'), "source.client_secret",
     "geheimen horen niet"),
    ('[source]\npath = "x"\n[store]\nurl = "geen url"\n', "store.url", "geen database-URL"),
    ('[source]\npath = "x"\n[store]\nurl = "oracle2://u@h/x"\n', "store.url", "onbekend databasetype"),
    ('[source]\npath = "x"\n[store]\nurl = "mysql+mysqldb://u@h/x"\n', "store.url", "niet geïnstalleerd"),
    (SHAREPOINT.replace('upload_folder = "Monitoring"', 'upload_folder = "/projectfiches/Master"'),
     "master.upload_folder", "buiten de fichemap"),
    (SHAREPOINT.replace('site = "provinciedrenthe.sharepoint.com:/sites/pmiek"', ""), "source.site", "site"),
    (SHAREPOINT.replace('tenant_id = "11111111-2222-3333-4444-555555555555"', ""), "source.tenant_id", "verplicht"),
    (SHAREPOINT.replace('certificate_thumbprint = "AB12CD34"', ""), "source.certificate_thumbprint", "verplicht"),
])
def test_bad_keys_are_named(tmp_path, tekst, key, woord) -> None:
    with pytest.raises(ConfigError) as e:
        laad_config(schrijf(tmp_path, tekst))
    assert e.value.key == key
    assert woord in e.value.melding
    assert key in str(e.value) and key in e.value.melding


def test_not_toml_and_missing_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        laad_config(schrijf(tmp_path, "[source\npath = 1"))
    with pytest.raises(ConfigError, match="not found"):
        laad_config(tmp_path / "bestaat-niet.toml")


def test_unreadable_config_files_are_refused_by_name(tmp_path) -> None:
    binair = tmp_path / "binair.toml"
    binair.write_bytes(b'[source]\npath = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8") as e:
        laad_config(binair)
    assert e.value.melding.startswith("Configuratiebestand ") and "binair.toml" in e.value.melding
    (tmp_path / "map.toml").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        laad_config(tmp_path / "map.toml")


def test_relative_store_url_and_symlinked_store_share_the_config_folder_and_lock(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pmiek.sqlite").touch()
    (tmp_path / "link.sqlite").symlink_to(tmp_path / "data" / "pmiek.sqlite")
    a = laad_config(schrijf(tmp_path, '[source]\npath = "x"\n[store]\nurl = "sqlite:///data/pmiek.sqlite"\n'))
    assert a.store_path == (tmp_path / "data" / "pmiek.sqlite").resolve()
    assert a.store_url == "sqlite:///" + str(a.store_path)
    b = laad_config(schrijf(tmp_path, '[source]\npath = "x"\n[store]\npath = "link.sqlite"\n'))
    assert b.lock_path == a.lock_path


@pytest.mark.subprocess
def test_cli_names_the_key_without_traceback(tmp_path) -> None:
    pad = schrijf(tmp_path, '[source]\npath = "fiches"\n[sync]\ncron = "0 25 * * *"\n')
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "-v", "sync", "--config", str(pad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "Fout: Instelling 'sync.cron':" in r.stderr and "cron-uitdrukking" in r.stderr
    assert "Traceback" not in r.stderr and "config key 'sync.cron'" in r.stderr  # the English log line (-v)
