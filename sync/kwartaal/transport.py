"""How the quarterly e-mail leaves the building: one interface, three transports.

- `OutboxTransport` (the built-in default): writes the `.eml` plus an HTML preview (with the
  timeline as a sibling PNG) into a folder; the `.eml`, written last and atomically, means "sent".
- `SmtpTransport`: STARTTLS and login, credentials from environment variables.
- `GraphTransport`: Microsoft Graph `sendMail` as the application (app-only). Attachments under
  3 MB travel inside the request; a larger master goes through a draft message and an attachment
  upload session, then the draft is sent.

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
from typing import Any, Callable, TypeVar

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
)

__all__ = ["OnzekereVerzending", "Overdracht", "Resultaat", "TijdelijkeVerzendFout", "Transport", "VerzendFout"]

log = logging.getLogger("pmiek.sync.kwartaal.transport")

T = TypeVar("T")

#: Graph's limit for attachments sent inside one request (the request itself may not pass 4 MB).
GRAPH_INLINE_LIMIET = 3 * 1024 * 1024
#: Upload session chunk: a multiple of 320 KiB (`sync.graph.CHUNK_EENHEID`), under Graph's 4 MB per request.
GRAPH_CHUNK = 10 * 320 * 1024


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


def _opgeven(exc: BaseException, pogingen: int, reden: str) -> BaseException:
    """The last failure once the retries end; stopped by the service, it says so."""
    if reden != "stop" or not isinstance(exc, TijdelijkeVerzendFout):
        return exc
    return TijdelijkeVerzendFout(f"stopped while retrying after {pogingen} attempt(s): {exc}",
                                 f"Verzenden afgebroken omdat pMIEK stopte, na {pogingen} poging(en); er is niets "
                                 f"verzonden ({exc.melding}). Het wordt opnieuw geprobeerd na de volgende start.",
                                 status=exc.status)


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
                                       opgeven=_opgeven)

    def al_verzonden(self, message_id: str) -> bool | None:
        return None  # SMTP cannot be asked what it delivered


# --- Microsoft Graph -------------------------------------------------------------------------

def _nooit_verbonden(exc: Exception) -> bool:
    """True when the request cannot have reached the server (DNS, refused, connect timeout)."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return True
    reden = exc.args[0] if exc.args else None
    reden = getattr(reden, "reason", reden)  # MaxRetryError wraps the cause
    return isinstance(reden, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError))


def _graph_fout(wat: str, exc: Exception) -> RemoteError:
    """Sorts a Graph client error; `wat` is 'send' for the step that delivers."""
    import requests
    from office365.runtime.client_request_exception import ClientRequestException

    if isinstance(exc, ClientRequestException) or (isinstance(exc, requests.HTTPError) and exc.response is not None):
        response = exc.response
        status = response.status_code if response is not None else None
        retry_after = None
        if response is not None and response.headers.get("Retry-After", "").isdigit():
            retry_after = float(response.headers["Retry-After"])
        if status in (429, 503) or (status in (500, 502, 504) and wat != "send"):
            return TijdelijkeVerzendFout(f"Graph {wat} refused for now: {status}",
                                         f"Microsoft Graph weigerde tijdelijk ({status}).", status=status,
                                         wacht=retry_after)
        if status in (500, 502, 504):
            return OnzekereVerzending(f"Graph {wat} answered {status}; delivery unknown",
                                      f"Microsoft Graph gaf fout {status} bij het verzenden; of het bericht "
                                      "is verzonden is onbekend.", status=status)
        return VerzendFout(f"Graph {wat} refused: {status} {exc}",
                           f"Microsoft Graph weigerde het bericht ({status}).", status=status)
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        if wat == "send" and not _nooit_verbonden(exc):
            return OnzekereVerzending(f"Graph {wat}: connection lost after the request was sent: {exc}",
                                      "De verbinding met Microsoft Graph viel weg tijdens het verzenden; of "
                                      "het bericht is verzonden is onbekend.")
        return TijdelijkeVerzendFout(f"Graph {wat}: connection failed: {exc}",
                                     "Microsoft Graph is niet bereikbaar.")
    if isinstance(exc, RemoteError):
        return exc
    return VerzendFout(f"Graph {wat} failed: {exc!r}", "Verzenden via Microsoft Graph mislukte.")


class GraphTransport:
    """`client` is an office365 `GraphClient` with its token callback and transport (timeout,
    CA, routing) already set; `sessie` is the `requests.Session` used for upload-session chunks,
    which the library would otherwise send outside that transport (see PITFALLS). `herhaling`
    retries every step; each step sorts its failure into the tree first (`_graph_fout`)."""

    naam = "graph"

    def __init__(self, client: Any, afzender: str, sessie: Any, herhaling: Herhaling | None = None,
                 timeout: float = 60.0, inline_limiet: int = GRAPH_INLINE_LIMIET) -> None:
        self.client = client
        self.afzender = afzender
        self.sessie = sessie
        self.herhaling = herhaling or Herhaling()
        self.timeout = timeout
        self.inline_limiet = inline_limiet

    def _stap(self, wat: str, actie: Callable[[], T], overdracht: Overdracht | None = None) -> T:
        """One Graph step with retries. Each attempt queues its queries afresh: the client pops a
        query before running it, so a failed one is not replayed. (`client.clear()` would also drop
        the configured transport: routing, CA and timeout.) `overdracht` is told when the attempt
        goes out and when Graph then refused it."""
        def poging() -> T:
            if overdracht is not None:
                overdracht(True)
            try:
                return actie()
            except Exception as exc:
                fout = _graph_fout(wat, exc)
                if overdracht is not None and not isinstance(fout, OnzekereVerzending):
                    overdracht(False)
                raise fout from exc
        return self.herhaling.voer_uit(f"Graph {wat}", poging, opgeven=_opgeven)

    def _bijlage(self, message: Any, naam: str, data: bytes, soort: str, cid: str | None = None) -> None:
        """Queue one file attachment: inside a new message's request, or (for an existing draft)
        as its own POST. Built here rather than by `add_file_attachment` so an inline picture can
        carry isInline and contentId, which that helper does not set."""
        from office365.runtime.queries.create_entity import CreateEntityQuery

        attachment = message.attachments.create_file(naam, data, soort)
        if cid:
            attachment.set_property("isInline", True)
            attachment.set_property("contentId", cid)
        if message.id is None:
            message.attachments.add_child(attachment)
        else:
            self.client.add_query(CreateEntityQuery(message.attachments, attachment, attachment))

    @staticmethod
    def _kopregels(message: Any, bericht: EmailMessage) -> list[dict[str, str]]:
        """Graph assigns its own Message-ID; our record's id travels as a custom x- header (the
        only kind Graph lets a sender set), so a person checking the Board's inbox can find it."""
        regels = [{"name": "X-Pmiek-Message-Id", "value": str(bericht["Message-ID"])},
                  {"name": "X-Pmiek-Kwartaal", "value": str(bericht.get("X-Pmiek-Kwartaal", ""))}]
        if bericht.get("X-Pmiek-Uitvraag"):
            regels.append({"name": "X-Pmiek-Uitvraag", "value": str(bericht["X-Pmiek-Uitvraag"])})
        if message is not None:
            message.set_property("internetMessageHeaders", regels)
        return regels

    def verzend(self, bericht: EmailMessage, overdracht: Overdracht | None = None) -> Resultaat:
        delen = onderdelen(bericht)
        ontvangers = [a for _, a in getaddresses([str(v) for v in bericht.get_all("To", [])])]
        cc = [a for _, a in getaddresses([str(v) for v in bericht.get_all("Cc", [])])]
        totaal = sum(len(d[0]) for d in delen["inline"].values()) + sum(len(b[1]) for b in delen["bijlagen"])
        if totaal < self.inline_limiet:
            return self._klein(bericht, delen, ontvangers, cc, overdracht)
        return self._groot(bericht, delen, ontvangers, cc, overdracht)

    def _klein(self, bericht: EmailMessage, delen: dict, ontvangers: list[str], cc: list[str],
               overdracht: Overdracht | None = None) -> Resultaat:
        def versturen() -> None:
            message = self.client.users[self.afzender].send_mail(
                str(bericht["Subject"]), delen["html"], ontvangers, cc_recipients=cc or None, body_type="HTML",
                save_to_sent_items=True)
            self._kopregels(message, bericht)
            for cid, (data, soort, naam) in delen["inline"].items():
                self._bijlage(message, naam, data, soort, cid)
            for naam, data, soort in delen["bijlagen"]:
                self._bijlage(message, naam, data, soort)
            self.client.execute_query()

        self._stap("send", versturen, overdracht)
        log.info("report sent through Graph sendMail as %s (attachments inline)", self.afzender)
        return Resultaat(self.naam, f"sendMail {self.afzender}")

    def _groot(self, bericht: EmailMessage, delen: dict, ontvangers: list[str], cc: list[str],
               overdracht: Overdracht | None = None) -> Resultaat:
        """Draft, attachments (the large one through an upload session), then send the draft."""
        from office365.outlook.mail.attachments.attachment_item import AttachmentItem
        from office365.outlook.mail.attachments.type import AttachmentType
        from office365.outlook.mail.item_body import ItemBody

        gebruiker = self.client.users[self.afzender]

        def concept() -> Any:
            extra: dict[str, Any] = {"internetMessageHeaders": self._kopregels(None, bericht)}
            if cc:
                from office365.outlook.mail.recipient import Recipient
                from office365.runtime.client_value_collection import ClientValueCollection
                extra["ccRecipients"] = ClientValueCollection(Recipient, [Recipient.from_email(a) for a in cc])
            message = gebruiker.messages.add(str(bericht["Subject"]), ItemBody.html(delen["html"]), ontvangers,
                                             **extra)
            self.client.execute_query()
            return message

        message = self._stap("draft", concept)
        try:
            for cid, (data, soort, naam) in delen["inline"].items():
                def inline(cid=cid, data=data, soort=soort, naam=naam) -> None:
                    self._bijlage(message, naam, data, soort, cid)
                    self.client.execute_query()
                self._stap("inline attachment", inline)
            for naam, data, soort in delen["bijlagen"]:
                if len(data) < self.inline_limiet:
                    def klein(naam=naam, data=data, soort=soort) -> None:
                        self._bijlage(message, naam, data, soort)
                        self.client.execute_query()
                    self._stap("attachment", klein)
                    continue
                item = AttachmentItem(attachmentType=AttachmentType.file, name=naam, size=len(data))

                def sessie(item=item) -> str:
                    resultaat = message.attachments.create_upload_session(item)
                    self.client.execute_query()
                    url = getattr(resultaat.value, "uploadUrl", None)
                    if not url:
                        raise VerzendFout("Graph createUploadSession returned no uploadUrl",
                                          "Microsoft Graph gaf geen upload-adres voor de bijlage.")
                    return url

                self._upload(self._stap("upload session", sessie), data)
        except RemoteError:
            self._opruimen(message)
            raise

        def versturen() -> None:
            message.send()
            self.client.execute_query()

        self._stap("send", versturen, overdracht)
        log.info("report sent through Graph as %s (attachment through an upload session)", self.afzender)
        return Resultaat(self.naam, f"draft+send {self.afzender}")

    def _upload(self, upload_url: str, data: bytes) -> None:
        """The attachment through the one upload-session implementation (`sync.graph`): the
        uploadUrl carries its own token, so no Authorization header, on purpose."""
        from sync.graph import sessie_verzender, upload_sessie

        try:
            upload_sessie(sessie_verzender(self.sessie, self.timeout), self.herhaling, upload_url, data,
                          chunk_grootte=GRAPH_CHUNK, wat="Graph upload chunk",
                          melding="Microsoft Graph bevestigde de upload van de bijlage niet.")
        except Exception as exc:
            raise _graph_fout("upload chunk", exc) from exc

    def _opruimen(self, message: Any) -> None:
        try:
            message.delete_object()
            self.client.execute_query()
        except Exception as exc:  # best effort: an orphan draft is untidy, not harmful
            log.warning("could not delete the unsent Graph draft: %s", exc)

    def al_verzonden(self, message_id: str) -> bool | None:
        return None  # would need Mail.Read on the sender's mailbox; Mail.Send alone cannot tell
