"""The quarterly e-mail through Microsoft Graph `sendMail` as the application (app-only), one of
the transports of `sync.kwartaal.transport` (which re-exports it). Attachments under 3 MB travel
inside the request; a larger master goes through a draft message and an attachment upload
session, then the draft is sent.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, Callable, TypeVar

from fiche.errors import RemoteError
from sync.herhaling import Herhaling
from sync.kwartaal.bericht import onderdelen
from sync.kwartaal.verzending import (
    OnzekereVerzending,
    Overdracht,
    Resultaat,
    TijdelijkeVerzendFout,
    VerzendFout,
    opgeven,
)

log = logging.getLogger("pmiek.sync.kwartaal.transport")

T = TypeVar("T")

#: Graph's limit for attachments sent inside one request (the request itself may not pass 4 MB).
GRAPH_INLINE_LIMIET = 3 * 1024 * 1024
#: Upload session chunk: a multiple of 320 KiB (`sync.graph.CHUNK_EENHEID`), under Graph's 4 MB per request.
GRAPH_CHUNK = 10 * 320 * 1024

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
        return self.herhaling.voer_uit(f"Graph {wat}", poging, opgeven=opgeven)

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
