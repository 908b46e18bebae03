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
    assert c.lock_path == tmp_path / "data" / "pmiek.sqlite.lock"


def test_defaults(tmp_path) -> None:
    c = laad_config(schrijf(tmp_path, '[source]\npath = "/data/fiches"\n'))
    assert c.source.type == "folder"
    assert c.store_path == tmp_path / "pmiek.sqlite"
    assert c.master.path == tmp_path / "pMIEK-monitoring.xlsx" and c.master.publish == "none"
    assert c.sync.cron == "0 7 * * 1-5" and c.sync.timezone == "Europe/Amsterdam" and c.sync.nabij_maanden == 3


def test_sharepoint_config(tmp_path) -> None:
    c = laad_config(schrijf(tmp_path, SHAREPOINT))
    sp = c.source.sharepoint
    assert c.source.type == "sharepoint" and sp.folder == "Projectfiches" and sp.certificate == Path("/etc/pmiek/app.pem")
    assert sp.graph_url == "https://graph.microsoft.com" and c.master.upload_folder == "Monitoring"


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
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "sync", "--config", str(pad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "Fout: Instelling 'sync.cron':" in r.stderr and "cron-uitdrukking" in r.stderr
    assert "Traceback" not in r.stderr and "config key 'sync.cron'" in r.stderr  # the English log line
