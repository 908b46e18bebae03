"""How the quarterly e-mail leaves the building: one interface, three transports.

- `OutboxTransport` (the built-in default): writes the `.eml` plus an HTML preview (with the
  timeline as a sibling PNG) into a folder; the `.eml`, written last and atomically, means "sent".
- `SmtpTransport`: STARTTLS and login, credentials from environment variables.
- `GraphTransport` (`sync.kwartaal.graph_transport`, re-exported here): Microsoft Graph `sendMail`
  as the application (app-only), large attachments through an upload session.

Retries follow the one policy of `sync.herhaling` (`Herhaling`, re-exported here); the
transports sort every failure into the exception tree first, so the policy retries only a
`TijdelijkeVerzendFout`. Failures are sorted into three kinds, because "exactly once" depends on it:
- `TijdelijkeVerzendFout`: the server refused for now (4xx, 429, 503, connection refused,
  a timeout before the message was handed over). Nothing was sent: retried with backoff.
- `VerzendFout`: refused for good (5xx, wrong login, no STARTTLS). Nothing was sent: not retried.
- `OnzekereVerzending`: the connection broke while the server was taking the message. It may
  have been delivered. Never retried automatically: a person checks (see `sync.kwartaal.rapportage`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses
from pathlib import Path
from typing import Any, TypeVar

from fiche.bestanden import atomisch_schrijven
from fiche.errors import ConfigError, InputError, RemoteError, oorzaak_nl
from sync.herhaling import Herhaling, bij_stop
from sync.kwartaal.bericht import onderdelen
from sync.kwartaal.verzending import (
    OnzekereVerzending,
    Overdracht,
    Resultaat,
    TijdelijkeVerzendFout,
    Transport,
    VerzendFout,
    opgeven,
)

__all__ = ["GraphTransport", "OnzekereVerzending", "Overdracht", "Resultaat", "TijdelijkeVerzendFout", "Transport",
           "VerzendFout"]

log = logging.getLogger("pmiek.sync.kwartaal.transport")

T = TypeVar("T")



def _kwartaal(bericht: EmailMessage) -> str:
    """The outbox file's prefix: the quarter, and for an uitvraag message its kind."""
    kwartaal = str(bericht.get("X-Pmiek-Kwartaal") or "rapport")
    soort = bericht.get("X-Pmiek-Uitvraag")
    return f"uitvraag-{kwartaal}-{soort}" if soort else kwartaal


def _sleutel(message_id: str) -> str:
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:16]


#: Outbox mail names real people and addresses: its files are private to the service account.
_PRIVE = 0o600


def schrijf_preview(bericht: EmailMessage, map_: Path, stam: str) -> dict[str, Path]:
    """The message as `stam.eml`, `stam.html` (viewable in a browser: the inline picture is a
    sibling file) and that picture. The .eml comes last: it marks the set complete."""
    map_.mkdir(parents=True, exist_ok=True)
    delen = onderdelen(bericht)
    html_tekst = delen["html"] or ""
    paden: dict[str, Path] = {}
    for i, (cid, (data, soort, _naam)) in enumerate(sorted(delen["inline"].items())):
        ext = soort.split("/")[-1]
        pad = map_ / (f"{stam}.{ext}" if i == 0 else f"{stam}-{i}.{ext}")
        atomisch_schrijven(pad, data, modus=_PRIVE)
        html_tekst = html_tekst.replace(f"cid:{cid}", pad.name)
        paden[f"inline{i}"] = pad
    paden["html"] = map_ / f"{stam}.html"
    atomisch_schrijven(paden["html"], html_tekst.encode("utf-8"), modus=_PRIVE)
    paden["eml"] = map_ / f"{stam}.eml"
    atomisch_schrijven(paden["eml"], bericht.as_bytes(policy=SMTP_POLICY), modus=_PRIVE)
    return paden


class OutboxTransport:
    naam = "outbox"

    def __init__(self, map_: Path) -> None:
        self.map = Path(map_)

    def stam(self, bericht: EmailMessage) -> str:
        return f"{_kwartaal(bericht)}-{_sleutel(str(bericht['Message-ID']))}"

    def verzend(self, bericht: EmailMessage, overdracht: Overdracht | None = None) -> Resultaat:
        # No hand-over to report: the renamed .eml is the delivery, and `al_verzonden` sees it.
        try:
            paden = schrijf_preview(bericht, self.map, self.stam(bericht))
        except OSError as exc:
            raise VerzendFout(f"cannot write to outbox {self.map}: {exc}",
                              f"De outbox-map {self.map} is niet beschrijfbaar ({oorzaak_nl(exc)}).") from exc
        log.info("report written to outbox %s", paden["eml"])
        return Resultaat(self.naam, str(paden["eml"]))

    def al_verzonden(self, message_id: str) -> bool | None:
        return any(self.map.glob(f"*-{_sleutel(message_id)}.eml"))

    def kwartaal_bericht(self, kwartaal: str, behalve: str | None = None) -> Path | None:
        """An e-mail of `kwartaal` already in the outbox (other than message `behalve`): what the
        transport itself can see, also when the store's send record is gone (issue 15)."""
        eigen = f"{kwartaal}-{_sleutel(behalve)}.eml" if behalve else None
        return next((p for p in sorted(self.map.glob(f"{kwartaal}-*.eml")) if p.name != eigen), None)


class AlInOutbox(InputError):
    """The outbox already holds this quarter's e-mail, whatever the store's record says."""

    def __init__(self, kwartaal: str, bestand: Path) -> None:
        super().__init__(f"outbox already holds the report of {kwartaal} ({bestand}); not sent again",
                         f"De outbox bevat het kwartaaloverzicht {kwartaal} al ({bestand}); er is niets opnieuw "
                         "verzonden. De verzendadministratie in de database kent die verzending niet (is de "
                         "database vervangen, teruggezet of opnieuw begonnen?). Alleen als het overzicht "
                         "echt nogmaals moet: pmiek report --send --force.")


# --- SMTP ------------------------------------------------------------------------------------

@dataclass
class SmtpInstellingen:
    host: str
    port: int = 587
    starttls: bool = True
    user_env: str | None = "PMIEK_SMTP_USER"
    password_env: str | None = "PMIEK_SMTP_PASSWORD"
    ca_bundle: Path | None = None  # a private CA; default: the system's trust store
    timeout: float = 30.0


def _smtp_code_fout(wat: str, code: int, tekst: Any) -> RemoteError:
    reden = tekst.decode(errors="replace") if isinstance(tekst, bytes) else str(tekst)
    if 400 <= code < 500:
        return TijdelijkeVerzendFout(f"SMTP {wat} refused for now: {code} {reden}",
                                     f"De mailserver weigerde tijdelijk ({code}).", status=code)
    return VerzendFout(f"SMTP {wat} refused: {code} {reden}", f"De mailserver weigerde het bericht ({code} {reden}).",
                       status=code)


def _schud_af(smtp: smtplib.SMTP) -> None:
    if smtp.sock is not None:
        smtp.sock.shutdown(socket.SHUT_RDWR)


class SmtpTransport:
    naam = "smtp"

    def __init__(self, instellingen: SmtpInstellingen, herhaling: Herhaling | None = None) -> None:
        self.inst = instellingen
        self.herhaling = herhaling or Herhaling()

    def inloggegevens(self) -> tuple[str, str] | None:
        """(user, password) from the environment, or None without login; a `ConfigError` naming
        the key when a named variable is missing (also checked when the service starts)."""
        if not self.inst.user_env:
            return None
        user = os.environ.get(self.inst.user_env)
        password = os.environ.get(self.inst.password_env or "") if self.inst.password_env else None
        if not user or password is None:
            ontbreekt = self.inst.user_env if not user else self.inst.password_env
            raise ConfigError("report.smtp_user_env", f"environment variable {ontbreekt} is not set",
                              f"De omgevingsvariabele {ontbreekt} (SMTP-login) is niet gezet.")
        return user, password

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.inst.ca_bundle) if self.inst.ca_bundle else None)

    def _een_poging(self, bericht: EmailMessage, login: tuple[str, str] | None,
                    overdracht: Overdracht | None = None) -> Resultaat:
        afzender = getaddresses([str(bericht["From"])])[0][1]
        kopregels = bericht.get_all("To", []) + bericht.get_all("Cc", [])
        ontvangers = [a for _, a in getaddresses([str(v) for v in kopregels])]
        data = bericht.as_bytes(policy=SMTP_POLICY)
        smtp = smtplib.SMTP(timeout=self.inst.timeout)  # connected below, inside the stop guard
        smtp._host = self.inst.host  # type: ignore[attr-defined] # what SMTP(host) sets: STARTTLS checks it
        # A stop shuts the socket: a server that hangs does not hold the stop up for the timeout.
        # The session then fails like a dropped connection (before DATA: nothing handed over).
        with bij_stop(lambda: _schud_af(smtp), self.herhaling.stop_event()):
            try:
                smtp.connect(self.inst.host, self.inst.port)
            except (OSError, smtplib.SMTPException) as exc:
                smtp.close()
                raise TijdelijkeVerzendFout(f"SMTP connect to {self.inst.host}:{self.inst.port} failed: {exc}",
                                            f"De mailserver {self.inst.host} is niet bereikbaar.") from exc
            return self._sessie(smtp, afzender, ontvangers, data, login, overdracht)

    def _sessie(self, smtp: smtplib.SMTP, afzender: str, ontvangers: list[str], data: bytes,
                login: tuple[str, str] | None, overdracht: Overdracht | None) -> Resultaat:
        try:
            try:
                smtp.ehlo()
                if self.inst.starttls:
                    if not smtp.has_extn("starttls"):
                        raise VerzendFout(f"SMTP server {self.inst.host} does not offer STARTTLS",
                                          "De mailserver biedt geen STARTTLS; zonder versleuteling wordt niet "
                                          "verzonden.")
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if login:
                    if not smtp.has_extn("auth"):
                        raise VerzendFout(f"SMTP server {self.inst.host} does not offer AUTH",
                                          f"De mailserver {self.inst.host} biedt geen inloggen (AUTH) aan, maar "
                                          f"er is een SMTP-login ingesteld (report.smtp_user_env). Laat die leeg "
                                          "als de server zonder login verstuurt, of kies de juiste poort.")
                    smtp.login(*login)
                code, tekst = smtp.mail(afzender)
                if code != 250:
                    raise _smtp_code_fout(f"sender {afzender}", code, tekst)
                for ontvanger in ontvangers:
                    code, tekst = smtp.rcpt(ontvanger)
                    if code not in (250, 251):
                        raise _smtp_code_fout(f"recipient {ontvanger}", code, tekst)
            except smtplib.SMTPNotSupportedError as exc:
                raise VerzendFout(f"SMTP server {self.inst.host} does not support a command we need: {exc}",
                                  f"De mailserver ondersteunt een benodigde functie niet ({exc}).") from exc
            except smtplib.SMTPAuthenticationError as exc:
                raise VerzendFout(f"SMTP login refused: {exc.smtp_code}",
                                  "De mailserver weigert de login (controleer gebruikersnaam en wachtwoord).",
                                  status=exc.smtp_code) from exc
            except ssl.SSLError as exc:
                raise VerzendFout(f"TLS with {self.inst.host} failed: {exc}",
                                  "De versleutelde verbinding met de mailserver mislukte (certificaat?).") from exc
            except smtplib.SMTPResponseException as exc:
                raise _smtp_code_fout("command", exc.smtp_code, exc.smtp_error) from exc
            except (OSError, smtplib.SMTPException) as exc:
                # Still before DATA: the server holds nothing of ours yet.
                raise TijdelijkeVerzendFout(f"SMTP session with {self.inst.host} broke before DATA: {exc}",
                                            "De verbinding met de mailserver viel weg.") from exc
            return self._data(smtp, data, overdracht)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _data(self, smtp: smtplib.SMTP, data: bytes, overdracht: Overdracht | None) -> Resultaat:
        """DATA as `smtplib.SMTP.data` does it, with the hand-over reported between the server's
        354 (from here on it may keep the message) and the content."""
        try:
            smtp.putcmd("data")
            code, tekst = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            raise TijdelijkeVerzendFout(f"SMTP session with {self.inst.host} broke before DATA: {exc}",
                                        "De verbinding met de mailserver viel weg.") from exc
        if code != 354:
            raise _smtp_code_fout("DATA", code, tekst)  # refused before the content: nothing handed over
        if overdracht is not None:
            overdracht(True)
        inhoud = smtplib._quote_periods(data)  # type: ignore[attr-defined] # smtplib's own dot-stuffing
        if inhoud[-2:] != b"\r\n":
            inhoud += b"\r\n"
        try:
            smtp.send(inhoud + b".\r\n")
            code, tekst = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            raise OnzekereVerzending(
                f"SMTP connection to {self.inst.host} broke during DATA; delivery unknown: {exc}",
                "De verbinding viel weg terwijl de mailserver het bericht ontving; of het is "
                "verzonden is onbekend.") from exc
        if code != 250:
            # An explicit refusal after the content: the server did not keep it.
            if overdracht is not None:
                overdracht(False)
            raise _smtp_code_fout("DATA", code, tekst)
        antwoord = tekst.decode(errors="replace") if isinstance(tekst, bytes) else str(tekst)
        log.info("report accepted by SMTP server %s: %s %s", self.inst.host, code, antwoord)
        return Resultaat(self.naam, f"{self.inst.host}:{self.inst.port} {code} {antwoord}".strip())

    def verzend(self, bericht: EmailMessage, overdracht: Overdracht | None = None) -> Resultaat:
        login = self.inloggegevens()
        return self.herhaling.voer_uit("SMTP send", lambda: self._een_poging(bericht, login, overdracht),
                                       opgeven=opgeven)

    def al_verzonden(self, message_id: str) -> bool | None:
        return None  # SMTP cannot be asked what it delivered


# Graph's transport in its own module (size); named here with the other two.
from sync.kwartaal.graph_transport import GraphTransport  # noqa: E402
