"""The service's one configuration file (TOML), read and validated at start-up.

Every mistake is reported with the key it concerns (`sync.cron: ...`), in Dutch for the operator
and in English for the log, before anything runs. Secrets never live here: the file names an
environment variable or a certificate file, never a secret itself. Relative paths are relative
to the config file's folder, so a config and its data can move together.

Longer than 500 lines on purpose: every section, `[report]` and `[uitvraag]` included, is parsed and checked here
and nowhere else, so an operator's key and the rule that checks it are found in one file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fiche.errors import ConfigError, InputError, PmiekError, oorzaak_nl
from fiche.stoplicht import NABIJ_MAANDEN_STANDAARD
from sync.database import toon_url
from sync.lijsten.instellingen import LijstenConfig, lijsten_config

STANDAARD_TIJDZONE = "Europe/Amsterdam"
#: Every working day at 07:00 local time: the master is fresh when the office opens.
STANDAARD_CRON = "0 7 * * 1-5"
STANDAARD_MASTER_NAAM = "pMIEK-monitoring.xlsx"
#: Keys whose presence would mean a secret is written in the file.
VERBODEN_GEHEIMEN = ("client_secret", "secret", "password", "wachtwoord", "smtp_password")


@dataclass
class MapBronConfig:
    path: Path


@dataclass
class SharePointConfig:
    tenant_id: str
    client_id: str
    folder: str
    site: str | None = None  # "host:/sites/name" or a Graph site id
    drive_id: str | None = None
    certificate: Path | None = None  # PEM with private key and certificate
    certificate_thumbprint: str | None = None
    secret_env: str | None = None  # name of the environment variable holding the client secret
    #: Name of the environment variable holding the certificate's passphrase (an encrypted key or
    #: a PFX with a password); the passphrase itself never lives in the file.
    certificate_password_env: str | None = None
    #: With `site`: the document library by its name ("Documenten"); absent: the site's default.
    library: str | None = None
    #: Overrides for a national cloud or a test server.
    authority_host: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    ca_bundle: Path | None = None
    timeout: float = 30.0
    max_retries: int = 5

    def client_secret(self) -> str | None:
        """The secret from the environment; a `ConfigError` when the named variable is empty."""
        if not self.secret_env:
            return None
        value = os.environ.get(self.secret_env)
        if not value:
            raise ConfigError("source.secret_env",
                              f"environment variable {self.secret_env} is not set",
                              f"de omgevingsvariabele {self.secret_env} is niet gezet.")
        return value


@dataclass
class BronConfig:
    type: str  # "folder" | "sharepoint"
    folder: MapBronConfig | None = None
    sharepoint: SharePointConfig | None = None

    # Parsing fills the part that `type` names; these say so to the type checker, and fail in
    # Dutch should a caller ask for the other kind.
    def map_instellingen(self) -> MapBronConfig:
        if self.folder is None:
            raise ConfigError("source.type", f"source is {self.type}, not a folder",
                              'de bron is geen map ([source] type = "folder").')
        return self.folder

    def sharepoint_instellingen(self) -> SharePointConfig:
        if self.sharepoint is None:
            raise ConfigError("source.type", f"source is {self.type}, not SharePoint",
                              'de bron is geen SharePoint-bron ([source] type = "sharepoint").')
        return self.sharepoint


@dataclass
class MasterConfig:
    path: Path
    #: "none": only the local file; "folder": also copy to `publish_folder`; "sharepoint": upload.
    publish: str = "none"
    publish_folder: Path | None = None
    #: Folder in the SharePoint library the master is uploaded to.
    upload_folder: str | None = None


@dataclass
class SyncConfig:
    cron: str = STANDAARD_CRON
    timezone: str = STANDAARD_TIJDZONE
    nabij_maanden: int = NABIJ_MAANDEN_STANDAARD
    #: A run missed while the service was down is still made up to this long after.
    catch_up_hours: int = 72
    #: Reader processes for a run with many files to read (0: one per core, 1: none; `sync.leesploeg`).
    readers: int = 0
    #: Seconds one read may take in a reader process before it is ended and the version refused.
    read_timeout_seconds: int = 120

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


STANDAARD_ONTVANGER = "energy-board@localhost"
STANDAARD_AFZENDER = "pmiek-monitor@localhost"
STANDAARD_ONDERWERP = "pMIEK kwartaaloverzicht {kwartaal}"


@dataclass
class SmtpConfig:
    """`[report] smtp_*`: the mail server of the "smtp" transport (login from the environment)."""

    host: str
    port: int = 587
    starttls: bool = True
    user_env: str | None = "PMIEK_SMTP_USER"  # names of environment variables, never the values
    password_env: str | None = "PMIEK_SMTP_PASSWORD"
    ca_bundle: Path | None = None  # a private CA; default: the system's trust store
    timeout: float = 30.0


@dataclass
class ReportConfig:
    """`[report]`: the quarterly e-mail, validated and with its defaults filled in."""

    recipients: list[str] = field(default_factory=lambda: [STANDAARD_ONTVANGER])
    sender: str = STANDAARD_AFZENDER
    subject: str = STANDAARD_ONDERWERP
    transport: str = "outbox"  # "outbox" | "smtp" | "graph"
    #: The outbox transport's folder (relative to the working directory without a config file).
    outbox: Path = field(default_factory=lambda: Path("outbox"))
    cron: str | None = None  # None: the first Monday of the quarter, 08:00
    smtp: SmtpConfig | None = None  # with transport "smtp"
    # A mail server that is down for a few minutes at 08:00 on a Monday must not cost the
    # quarter its e-mail: 6 attempts, 30 s doubling to at most 10 min, about 15 min in all.
    retries: int = 6
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 600.0
    #: A quarterly run missed while the service was down is still made up this long after.
    catch_up_days: int = 7


#: The requests go out this long before the deadline; reminders on these days before it.
STANDAARD_VERZOEK_DAGEN = 21
STANDAARD_HERINNERING_DAGEN = (7, 2)
#: Without meeting dates: the deadline lies this many weeks before the quarter's last day.
STANDAARD_WEKEN_VOOR_EINDE = 3
#: Every day at 09:00 local time (after the 07:00 sync): a reminder day on a weekend is kept too.
UITVRAAG_CRON = "0 9 * * *"
#: Messages per minute: well under the usual limits (Exchange Online: 30 a minute per mailbox).
STANDAARD_PER_MINUUT = 20

UITVRAAG_SLEUTELS = ("meeting_dates", "days_before_meeting", "weeks_before_quarter_end", "request_days_before_deadline",
            "reminder_days", "cc_team", "opt_out", "test_address", "messages_per_minute", "template_link",
            "project_leader", "cron", "enabled")


@dataclass
class UitvraagConfig:
    """`[uitvraag]`, validated, with its defaults filled in."""

    #: Energy Board / WKI meetings: a quarter's deadline is `days_before_meeting` before its last one.
    meeting_dates: list[dt.date] = field(default_factory=list)
    days_before_meeting: int = 7
    weeks_before_quarter_end: int = STANDAARD_WEKEN_VOOR_EINDE
    request_days_before_deadline: int = STANDAARD_VERZOEK_DAGEN
    reminder_days: tuple[int, ...] = STANDAARD_HERINNERING_DAGEN
    cc_team: bool = False
    opt_out: frozenset[str] = frozenset()
    test_address: str | None = None
    messages_per_minute: float = STANDAARD_PER_MINUUT
    template_link: str | None = None
    #: Who gets the deadline notice and the projects without a voorzitter (default: report.recipients).
    project_leader: list[str] = field(default_factory=list)
    cron: str = UITVRAAG_CRON
    #: The scheduled job in `pmiek serve` runs only with an `[uitvraag]` section (and enabled = true).
    enabled: bool = False

    @property
    def test_adres_actief(self) -> bool:
        return bool(self.test_address)

    def afgemeld(self, adres: str | None) -> bool:
        return adres is not None and adres.strip().lower() in self.opt_out


@dataclass
class BackupConfig:
    """`[store] backup_*`: the daily backup of a SQLite store (`sync.reservekopie`)."""

    folder: Path | None = None  # None: `<store>.backups/` beside the store
    keep: int = 7
    cron: str = "30 6 * * *"  # daily 06:30, before the 07:00 sync


@dataclass
class Config:
    source: BronConfig
    store_url: str
    store_path: Path | None  # the SQLite file, when the store is one
    master: MasterConfig
    sync: SyncConfig = field(default_factory=SyncConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    path: Path | None = None  # the file this came from
    lijsten: LijstenConfig = field(default_factory=LijstenConfig)  # project lists (sync.lijsten.instellingen)
    #: `[uitvraag]`: the quarterly round to the voorzitters (sync.uitvraag).
    uitvraag: UitvraagConfig = field(default_factory=lambda: UitvraagConfig(project_leader=[STANDAARD_ONTVANGER]))
    backup: BackupConfig = field(default_factory=BackupConfig)

    @property
    def lock_path(self) -> Path:
        """Where the one-service-per-store lock lives: next to the SQLite file (the run and report
        locks beside it, see `sync.vergrendeling`). A PostgreSQL store uses advisory locks in
        its database instead, not this path."""
        if self.store_path is not None:
            # Resolved: two configs naming one file through a symlink must share the lock.
            pad = self.store_path.resolve()
            return pad.with_name(pad.name + ".lock")
        import hashlib
        import tempfile
        digest = hashlib.sha256(self.store_url.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"pmiek-{digest}.lock"


# --- helpers -----------------------------------------------------------------------------------

def _fout(key: str, english: str, dutch: str) -> ConfigError:
    """A config error; `ConfigError` puts the key in front, a file-level one ("(bestand)") starts
    with a capital instead."""
    return ConfigError(key, english, dutch[0].upper() + dutch[1:] if key.startswith("(") else dutch)


class _Sectie:
    """One table of the TOML file; tracks which keys were used so unknown ones can be named."""

    def __init__(self, naam: str, data: Any, basis: Path) -> None:
        if not isinstance(data, dict):
            raise _fout(naam, "must be a table", "moet een sectie [" + naam + "] zijn.")
        self.naam, self.data, self.basis = naam, data, basis
        self.gebruikt: set[str] = set()
        for k in data:
            if k.lower() in VERBODEN_GEHEIMEN:
                raise _fout(self.key(k), "secrets must not be in the config file; name an environment variable",
                            "geheimen horen niet in het configuratiebestand; noem de omgevingsvariabele "
                            "(secret_env) of een certificaatbestand.")

    def key(self, k: str) -> str:
        return f"{self.naam}.{k}"

    def _get(self, k: str, required: bool) -> Any:
        self.gebruikt.add(k)
        if k not in self.data or self.data[k] in (None, ""):
            if required:
                raise _fout(self.key(k), "is required", "is verplicht maar ontbreekt.")
            return None
        return self.data[k]

    # The overloads tell the type checker that a required key or one with a default is never None.
    @overload
    def text(self, k: str, required: Literal[True], default: str | None = None) -> str: ...
    @overload
    def text(self, k: str, required: bool = False, *, default: str) -> str: ...
    @overload
    def text(self, k: str, required: bool = False, default: None = None) -> str | None: ...

    def text(self, k: str, required: bool = False, default: str | None = None) -> str | None:
        v = self._get(k, required)
        if v is None:
            return default
        if not isinstance(v, str):
            raise _fout(self.key(k), f"must be text, got {type(v).__name__}",
                        "moet tekst zijn (tussen aanhalingstekens).")
        return v.strip()

    def choice(self, k: str, keuzes: tuple[str, ...], default: str) -> str:
        v = self.text(k, default=default)
        if v not in keuzes:
            raise _fout(self.key(k), f"must be one of {', '.join(keuzes)}, got {v!r}",
                        f"'{v}' is geen geldige waarde; kies uit: {', '.join(keuzes)}.")
        return v

    def integer(self, k: str, default: int, minimum: int, maximum: int) -> int:
        v = self._get(k, False)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            raise _fout(self.key(k), "must be a whole number", "moet een geheel getal zijn.")
        if not minimum <= v <= maximum:
            raise _fout(self.key(k), f"must be between {minimum} and {maximum}, got {v}",
                        f"moet tussen {minimum} en {maximum} liggen (nu {v}).")
        return v

    def number(self, k: str, default: float, minimum: float, maximum: float) -> float:
        v = self._get(k, False)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _fout(self.key(k), "must be a number", "moet een getal zijn.")
        if not minimum <= v <= maximum:
            raise _fout(self.key(k), f"must be between {minimum} and {maximum}",
                        f"moet tussen {minimum} en {maximum} liggen.")
        return float(v)

    @overload
    def path(self, k: str, required: Literal[True]) -> Path: ...
    @overload
    def path(self, k: str, required: bool = False) -> Path | None: ...

    def path(self, k: str, required: bool = False) -> Path | None:
        v = self.text(k, required=required)
        if v is None:
            return None
        p = Path(os.path.expanduser(v))
        return p if p.is_absolute() else (self.basis / p)

    def strings(self, k: str) -> list[str]:
        v = self._get(k, False)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _fout(self.key(k), "must be a list of text", 'moet een lijst met tekst zijn, bijv. ["a@b.nl"].')
        return [x.strip() for x in v]

    def geen_onbekende(self, toegestaan_extra: bool = False) -> dict[str, Any]:
        onbekend = [k for k in self.data if k not in self.gebruikt]
        if onbekend and not toegestaan_extra:
            k = onbekend[0]
            raise _fout(self.key(k), "unknown key",
                        f"onbekende instelling (tikfout?). Bekend: {', '.join(sorted(self.gebruikt))}.")
        return {k: self.data[k] for k in onbekend}


def valideer_cron(expr: str, timezone: str, key: str) -> None:
    """A five-field crontab that never fires in the 02:00-03:00 hour (DST makes it fire twice or
    not at all)."""
    from apscheduler.triggers.cron import CronTrigger
    try:
        trigger = CronTrigger.from_crontab(expr, timezone=timezone)
    except (ValueError, TypeError) as exc:
        raise _fout(key, f"not a valid crontab expression ({exc})",
                    f"'{expr}' is geen geldige cron-uitdrukking (vijf velden: minuut uur dag maand weekdag, "
                    "bijv. '0 7 * * 1-5').") from None
    hour = next(f for f in trigger.fields if f.name == "hour")
    if hour.get_next_value(dt.datetime(2026, 1, 1, 2, 0)) == 2:
        raise _fout(key, "fires between 02:00 and 03:00, which the DST change makes ambiguous",
                    "valt tussen 02:00 en 03:00; door de zomer-/wintertijd draait hij dan dubbel of niet. "
                    "Kies een ander uur.")


# --- loading -----------------------------------------------------------------------------------

def laad_config(pad: str | Path) -> Config:
    """Read and validate the TOML file at `pad`."""
    pad = Path(pad)
    try:
        with open(pad, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise _fout("(bestand)", f"config file {pad} not found", f"configuratiebestand {pad} bestaat niet.") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fout("(bestand)", f"config file {pad} is not valid TOML: {exc}",
                    f"configuratiebestand {pad} is geen geldig TOML-bestand: {exc}") from None
    except UnicodeDecodeError:
        raise _fout("(bestand)", f"config file {pad} is not UTF-8 text",
                    f"configuratiebestand {pad} is geen tekst in UTF-8; sla het op als UTF-8.") from None
    except IsADirectoryError:
        raise _fout("(bestand)", f"config file {pad} is a directory",
                    f"configuratiebestand {pad} is een map, geen bestand.") from None
    except OSError as exc:
        raise _fout("(bestand)", f"config file {pad} cannot be read: {exc.strerror}",
                    f"configuratiebestand {pad} kan niet worden gelezen ({oorzaak_nl(exc)}).") from None
    config = config_uit_dict(data, pad.resolve().parent)
    config.path = pad.resolve()
    return config


def config_uit_dict(data: dict[str, Any], basis: Path) -> Config:
    bekende = ("source", "store", "master", "sync", "report", "uitvraag", "lijsten")
    for k in data:
        if k not in bekende:
            raise _fout(k, "unknown section", f"onbekende sectie [{k}]. Bekend: {', '.join(bekende)}.")
    if "source" not in data:
        raise _fout("source", "section is required", "de sectie [source] ontbreekt.")

    src = _Sectie("source", data["source"], basis)
    soort = src.choice("type", ("folder", "sharepoint"), "folder")
    if soort == "folder":
        bron = BronConfig("folder", folder=MapBronConfig(src.path("path", required=True)))
    else:
        sp = SharePointConfig(
            tenant_id=src.text("tenant_id", required=True),
            client_id=src.text("client_id", required=True),
            folder=src.text("folder", required=True),
            site=src.text("site"),
            drive_id=src.text("drive_id"),
            certificate=src.path("certificate"),
            certificate_thumbprint=src.text("certificate_thumbprint"),
            secret_env=src.text("secret_env"),
            certificate_password_env=_omgevingsvariabele(src, "certificate_password_env"),
            library=src.text("library"),
            authority_host=src.text("authority_host", default="https://login.microsoftonline.com"),
            graph_url=src.text("graph_url", default="https://graph.microsoft.com"),
            ca_bundle=src.path("ca_bundle"),
            timeout=src.number("timeout", 30.0, 1, 600),
            max_retries=src.integer("max_retries", 5, 0, 20),
        )
        if not sp.site and not sp.drive_id:
            raise _fout("source.site", "either site or drive_id is required",
                        "geef de SharePoint-site (site) of de documentbibliotheek (drive_id) op.")
        if not sp.certificate and not sp.secret_env:
            raise _fout("source.certificate", "either certificate or secret_env is required",
                        "geef een certificaatbestand (certificate) of de naam van een omgevingsvariabele "
                        "met het clientgeheim (secret_env) op.")
        if sp.certificate_password_env and not sp.certificate:
            raise _fout("source.certificate_password_env", "only applies with a certificate",
                        "hoort bij een certificaatbestand (certificate); zonder certificaat heeft het geen betekenis.")
        if sp.library is not None and not sp.library:
            raise _fout("source.library", "must not be empty",
                        "moet de naam van de documentbibliotheek zijn (laat de instelling weg voor de standaard).")
        if sp.library and (sp.drive_id or not sp.site):
            raise _fout("source.library", "only applies with site (drive_id names the library itself)",
                        "hoort bij site; drive_id wijst de documentbibliotheek zelf al aan. Geef één van beide.")
        if sp.certificate and not sp.certificate_thumbprint:
            raise _fout("source.certificate_thumbprint", "is required with a certificate",
                        "is verplicht bij een certificaat (de vingerafdruk uit de app-registratie).")
        bron = BronConfig("sharepoint", sharepoint=sp)
    src.geen_onbekende()

    st = _Sectie("store", data.get("store", {}), basis)
    url = st.text("url")
    store_pad = st.path("path")
    if url and store_pad:
        raise _fout("store.url", "give either store.url or store.path, not both",
                    "geef store.url of store.path, niet beide.")
    if not url:
        store_pad = store_pad or (basis / "pmiek.sqlite")
        url = sqlite_url(store_pad)
    else:
        url, store_pad = _store_url(url, basis)
    backup = BackupConfig(folder=st.path("backup_folder"), keep=st.integer("backup_keep", 7, 1, 1000),
                          cron=st.text("backup_cron", default="30 6 * * *"))
    st.geen_onbekende()

    ms = _Sectie("master", data.get("master", {}), basis)
    master = MasterConfig(
        path=ms.path("path") or (basis / STANDAARD_MASTER_NAAM),
        publish=ms.choice("publish", ("none", "folder", "sharepoint"), "none"),
        publish_folder=ms.path("publish_folder"),
        upload_folder=ms.text("upload_folder"),
    )
    if master.publish == "folder" and master.publish_folder is None:
        raise _fout("master.publish_folder", "is required when master.publish is 'folder'",
                    "is verplicht als master.publish 'folder' is.")
    if master.publish == "sharepoint" and bron.type != "sharepoint":
        raise _fout("master.publish", "'sharepoint' needs a sharepoint source for the connection",
                    "'sharepoint' kan alleen met een SharePoint-bron ([source] type = \"sharepoint\").")
    if master.publish == "sharepoint" and bron.sharepoint is not None and master.upload_folder:
        bron_map = bron.sharepoint.folder.strip("/").lower()
        doel = master.upload_folder.strip("/").lower()
        if doel == bron_map or doel.startswith(bron_map + "/"):
            raise _fout("master.upload_folder", "must lie outside the fiche folder (source.folder)",
                        f"moet buiten de fichemap '{bron.sharepoint.folder}' liggen; anders wordt het "
                        "masterwerkboek bij elke synchronisatie als fiche gelezen.")
    if master.path.suffix.lower() != ".xlsx":
        raise _fout("master.path", "must end in .xlsx", "moet eindigen op .xlsx.")
    ms.geen_onbekende()

    sy = _Sectie("sync", data.get("sync", {}), basis)
    tz = sy.text("timezone", default=STANDAARD_TIJDZONE)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fout("sync.timezone", f"unknown time zone {tz!r}",
                    f"'{tz}' is geen bekende tijdzone (bijv. Europe/Amsterdam).") from None
    cron = sy.text("cron", default=STANDAARD_CRON)
    valideer_cron(cron, tz, "sync.cron")
    sync = SyncConfig(cron=cron, timezone=tz,
                      nabij_maanden=sy.integer("nabij_maanden", NABIJ_MAANDEN_STANDAARD, 0, 24),
                      catch_up_hours=sy.integer("catch_up_hours", 72, 1, 24 * 31),
                      readers=sy.integer("readers", 0, 0, 64),
                      read_timeout_seconds=sy.integer("read_timeout_seconds", 120, 5, 24 * 3600))
    sy.geen_onbekende()

    valideer_cron(backup.cron, tz, "store.backup_cron")
    report = _report(_Sectie("report", data.get("report", {}), basis), bron, tz)
    uitvraag = _uitvraag(_Sectie("uitvraag", data.get("uitvraag", {}), basis), "uitvraag" in data,
                               report.recipients, tz)
    li = _Sectie("lijsten", data.get("lijsten", {}), basis)
    lijsten = lijsten_config(li)
    li.geen_onbekende()
    return Config(source=bron, store_url=url, store_path=store_pad, master=master, sync=sync, report=report,
                  uitvraag=uitvraag, backup=backup, lijsten=lijsten)


#: `[report]` keys in the order the "unknown key" message lists them.
REPORT_SLEUTELS = ("recipients", "sender", "subject", "transport", "outbox", "cron", "smtp_host", "smtp_port",
                   "smtp_starttls", "smtp_user_env", "smtp_password_env", "smtp_ca_bundle", "timeout", "retries",
                   "retry_base_seconds", "retry_max_seconds", "catch_up_days")


def _report(rp: _Sectie, bron: BronConfig, tz: str) -> ReportConfig:
    """`[report]`: every key checked here, so a mistake stops the service at start-up, not at
    08:00 on the first Monday of the quarter."""
    for k in rp.data:
        if k not in REPORT_SLEUTELS:
            raise _fout(rp.key(k), "unknown key",
                        f"onbekende instelling (tikfout?). Bekend: {', '.join(REPORT_SLEUTELS)}.")

    def getal(k: str, standaard: float, lo: float, hi: float, geheel: bool = False) -> Any:
        v = rp.data.get(k, standaard)
        if (isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi
                or (geheel and not isinstance(v, int))):
            raise _fout(rp.key(k), f"must be a number between {lo} and {hi}",
                        f"moet een {'geheel ' if geheel else ''}getal tussen {lo:g} en {hi:g} zijn.")
        return v

    def variabele(k: str, standaard: str) -> str | None:
        # An empty name is meaningful here: no login (a local relay).
        v = rp.data.get(k, standaard)
        if not isinstance(v, str):
            raise _fout(rp.key(k), "must be the name of an environment variable",
                        "moet de naam van een omgevingsvariabele zijn (tekst).")
        return v.strip() or None

    def pad(k: str) -> Path | None:
        v = rp.data.get(k)
        if v in (None, ""):
            return None
        if not isinstance(v, str):
            raise _fout(rp.key(k), "must be text", "moet tekst zijn (een pad).")
        p = Path(os.path.expanduser(v))
        return p if p.is_absolute() else rp.basis / p

    recipients = rp.strings("recipients")
    sender = rp.text("sender")
    transport = rp.choice("transport", ("outbox", "smtp", "graph"), "outbox")
    cron = rp.text("cron")
    if cron:
        valideer_cron(cron, tz, "report.cron")
    starttls = rp.data.get("smtp_starttls", True)
    if not isinstance(starttls, bool):
        raise _fout("report.smtp_starttls", "must be true or false", "moet true of false zijn.")
    port = int(getal("smtp_port", 587, 1, 65535, geheel=True))
    user_env = variabele("smtp_user_env", "PMIEK_SMTP_USER")
    password_env = variabele("smtp_password_env", "PMIEK_SMTP_PASSWORD")
    ca_bundle = pad("smtp_ca_bundle")
    timeout = float(getal("timeout", 30, 1, 600))
    smtp = None
    if transport == "smtp":
        host = rp.data.get("smtp_host")
        if not isinstance(host, str) or not host.strip():
            raise _fout("report.smtp_host", "is required for transport 'smtp'", "is verplicht als transport 'smtp' is.")
        smtp = SmtpConfig(host=host.strip(), port=port, starttls=starttls, user_env=user_env,
                          password_env=password_env, ca_bundle=ca_bundle, timeout=timeout)
    elif "smtp_host" in rp.data and not isinstance(rp.data["smtp_host"], str):
        raise _fout("report.smtp_host", "must be text", "moet tekst zijn (tussen aanhalingstekens).")
    _controleer_adressen("report.recipients", recipients)
    if sender:
        _controleer_adressen("report.sender", [sender])
    if transport != "outbox" and not recipients:
        raise _fout("report.recipients", "is required to send",
                    "is verplicht om te verzenden (lijst met e-mailadressen).")
    if transport != "outbox" and not sender:
        raise _fout("report.sender", "is required to send", "is verplicht om te verzenden (het afzenderadres).")
    if transport == "graph" and bron.type != "sharepoint":
        raise _fout("report.transport", "'graph' uses the app registration of a sharepoint source",
                    "'graph' gebruikt de app-registratie van de SharePoint-bron ([source] type = \"sharepoint\").")
    return ReportConfig(
        recipients=recipients or [STANDAARD_ONTVANGER],
        sender=sender or STANDAARD_AFZENDER,
        subject=rp.text("subject") or STANDAARD_ONDERWERP,
        transport=transport,
        outbox=rp.path("outbox") or (rp.basis / "outbox"),
        cron=cron,
        smtp=smtp,
        retries=int(getal("retries", 6, 1, 10, geheel=True)),
        retry_base_seconds=float(getal("retry_base_seconds", 30, 0, 600)),
        retry_max_seconds=float(getal("retry_max_seconds", 600, 0, 3600)),
        catch_up_days=int(getal("catch_up_days", 7, 0, 92, geheel=True)),
    )


def _als_datum(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            return None
    return None


def _uitvraag(sectie: _Sectie, aanwezig: bool, projectleider_standaard: list[str], tz: str) -> UitvraagConfig:
    """`[uitvraag]` (sync.uitvraag): `aanwezig` says whether the file has the section at all."""
    data = sectie.data
    for k in data:
        if k not in UITVRAAG_SLEUTELS:
            raise _fout(sectie.key(k), "unknown key",
                        f"onbekende instelling (tikfout?). Bekend: {', '.join(UITVRAAG_SLEUTELS)}.")

    def boolean(k: str, standaard: bool) -> bool:
        v = data.get(k, standaard)
        if not isinstance(v, bool):
            raise _fout(sectie.key(k), "must be true or false", "moet true of false zijn.")
        return v

    ruwe_data = data.get("meeting_dates", [])
    if not isinstance(ruwe_data, list):
        raise _fout("uitvraag.meeting_dates", "must be a list of dates", "moet een lijst met datums zijn, bijv. "
                    "[2027-03-18, 2027-06-17].")
    datums = []
    for v in ruwe_data:
        d = _als_datum(v)
        if d is None:
            raise _fout("uitvraag.meeting_dates", f"{v!r} is not a date", f"'{v}' is geen datum (jjjj-mm-dd).")
        datums.append(d)
    dagen = data.get("reminder_days", list(STANDAARD_HERINNERING_DAGEN))
    if (not isinstance(dagen, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in dagen)
            or not all(0 < d <= 60 for d in dagen) or len(set(dagen)) != len(dagen)):
        raise _fout("uitvraag.reminder_days", "must be a list of distinct whole numbers from 1 to 60",
                    "moet een lijst met verschillende hele getallen van 1 tot en met 60 zijn, bijv. [7, 2].")
    verzoek = sectie.integer("request_days_before_deadline", STANDAARD_VERZOEK_DAGEN, 1, 80)
    if dagen and max(dagen) >= verzoek:
        raise _fout("uitvraag.reminder_days", "a reminder must come after the request",
                    f"een herinnering moet na het verzoek komen: minder dan {verzoek} dagen "
                    "(request_days_before_deadline) voor de deadline.")
    opt_out = sectie.strings("opt_out")
    _controleer_adressen("uitvraag.opt_out", opt_out)
    test = sectie.text("test_address")
    if test:
        _controleer_adressen("uitvraag.test_address", [test])
    leider = sectie.strings("project_leader")
    _controleer_adressen("uitvraag.project_leader", leider)
    cron = sectie.text("cron", default=UITVRAAG_CRON)
    valideer_cron(cron, tz, "uitvraag.cron")
    link = sectie.text("template_link")
    inst = UitvraagConfig(
        meeting_dates=sorted(datums),
        days_before_meeting=sectie.integer("days_before_meeting", 7, 0, 60),
        weeks_before_quarter_end=sectie.integer("weeks_before_quarter_end", STANDAARD_WEKEN_VOOR_EINDE, 0, 12),
        request_days_before_deadline=verzoek,
        reminder_days=tuple(sorted(dagen, reverse=True)),
        cc_team=boolean("cc_team", False),
        opt_out=frozenset(a.lower() for a in opt_out),
        test_address=test or None,
        messages_per_minute=sectie.number("messages_per_minute", STANDAARD_PER_MINUUT, 0.1, 6000),
        template_link=link or None,
        project_leader=leider or list(projectleider_standaard),
        cron=cron,
        enabled=aanwezig and boolean("enabled", True),
    )
    sectie.gebruikt.update(UITVRAAG_SLEUTELS)
    return inst


def _controleer_adressen(sleutel: str, adressen: list[str]) -> None:
    """Plain addresses only: a display name or a line break has no business in a header."""
    from email_validator import EmailNotValidError, validate_email
    for adres in adressen:
        try:
            validate_email(adres, check_deliverability=False)
        except EmailNotValidError as exc:
            raise _fout(sleutel, f"{adres!r} is not a valid e-mail address ({exc})",
                        f"'{adres}' is geen geldig e-mailadres.") from None


def _omgevingsvariabele(sectie: _Sectie, k: str) -> str | None:
    """A key that names an environment variable: a plain name, so that a secret pasted into it
    by mistake is refused instead of being kept in the file and shown in messages."""
    v = sectie.text(k)
    if v is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
        raise _fout(sectie.key(k), "must be the name of an environment variable, not its value",
                    "moet de naam van een omgevingsvariabele zijn (letters, cijfers en _), niet het geheim zelf.")
    return v


#: The store backends pMIEK supports (SQLite the default).
STORE_DATABASES = ("sqlite", "postgresql")


def _store_url(url: str, basis: Path, sleutel: str = "store.url") -> tuple[str, Path | None]:
    """Check a store URL at start-up: parseable, a supported database with its driver installed,
    no password in it. `sleutel` is what the operator wrote it in: the config key `store.url`,
    or the command-line option `--store`.

    A relative SQLite path is taken relative to `basis` (the config file's folder, as every
    other path here: a service's working directory is often `/`).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    def fout(english: str, dutch: str) -> PmiekError:
        if sleutel.startswith("--"):
            return InputError(f"option {sleutel}: {english}", f"Optie {sleutel}: {dutch}")
        return _fout(sleutel, english, dutch)

    try:
        u = make_url(url)
        if u.password is not None or any(k.lower() == "password" for k in u.query):
            # The URL itself is not repeated: it holds the secret.
            raise fout("the database URL contains a password; use PGPASSWORD or the password file",
                       "de database-URL bevat een wachtwoord. Zet het wachtwoord niet in de URL maar in de "
                       "omgevingsvariabele PGPASSWORD of in het wachtwoordbestand van PostgreSQL (~/.pgpass, of "
                       "het bestand dat PGPASSFILE noemt).")
        dialect = u.get_dialect()
    except NoSuchModuleError:  # (a subclass of ArgumentError)
        raise fout(f"unknown database type in {toon_url(url)!r}", "noemt een onbekend databasetype.") from None
    except ArgumentError:
        raise fout("not a database URL",
                   "is geen database-URL (bijv. sqlite:////var/lib/pmiek/pmiek.sqlite of "
                   "postgresql+psycopg://pmiek@dbserver:5432/pmiek).") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise fout(f"the driver for {u.drivername} is not installed ({exc.name})",
                   f"het stuurprogramma voor {u.drivername} is niet geïnstalleerd ({exc.name})"
                   + ("; gebruik postgresql+psycopg://" if u.get_backend_name() == "postgresql" else "")
                   + ".") from None
    if u.get_backend_name() not in STORE_DATABASES:
        raise fout(f"database type {u.get_backend_name()} is not supported",
                   f"databasetype {u.get_backend_name()} wordt niet ondersteund; gebruik SQLite (sqlite:///...) "
                   "of PostgreSQL (postgresql+psycopg://...).")
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return url, None
    pad = Path(u.database).expanduser()
    if not pad.is_absolute():
        pad = basis / pad
    pad = pad.resolve()
    return u.set(database=str(pad)).render_as_string(hide_password=False), pad


def store_uit_argument(waarde: str | Path) -> tuple[str, Path | None]:
    """`--store` of a command: a database file (SQLite) or a database URL (checked as `store.url`
    is, under the option's name); returns (URL, SQLite file or None)."""
    if isinstance(waarde, str) and "://" in waarde:
        return _store_url(waarde, Path.cwd(), "--store")
    pad = Path(waarde).resolve()
    return sqlite_url(pad), pad


def sqlite_url(pad: Path) -> str:
    return "sqlite:///" + str(Path(pad).resolve())


def config_voor_map(source: Path, store: Path | str, master: Path,
                    nabij_maanden: int = NABIJ_MAANDEN_STANDAARD) -> Config:
    """The configuration `pmiek sync --source DIR --store FILE|URL --master FILE` implies."""
    url, pad = store_uit_argument(store)
    return Config(
        source=BronConfig("folder", folder=MapBronConfig(Path(source).resolve())),
        store_url=url, store_path=pad,
        master=MasterConfig(path=Path(master).resolve()),
        sync=SyncConfig(nabij_maanden=nabij_maanden),
    )


VOORBEELD_CONFIG = """\
# pMIEK Monitor: configuration of the sync service (see docs/operations.md).
[source]
type = "folder"
path = "{source}"

[store]
path = "{store}"

[master]
path = "{master}"
publish = "none"

[sync]
cron = "0 7 * * 1-5"
timezone = "Europe/Amsterdam"
nabij_maanden = 3
"""
