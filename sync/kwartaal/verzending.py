"""What every quarterly-mail transport promises (`sync.kwartaal.transport` implements it and
re-exports these names): the three kinds of failure "exactly once" depends on, the result, and
the hand-over callback the send record follows."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, Protocol

from fiche.errors import RemoteError, TijdelijkeFout


class VerzendFout(RemoteError):
    """Refused for good; nothing was sent."""


class TijdelijkeVerzendFout(TijdelijkeFout):
    """Refused for now; nothing was sent; worth retrying (`wacht`: the server's Retry-After)."""


class OnzekereVerzending(RemoteError):
    """The message may or may not have been delivered."""


@dataclass
class Resultaat:
    transport: str
    detail: str  # where it went: a file, a server's reply


#: Called with True at the hand-over point (from here on the other side may hold the message:
#: SMTP answered 354 to DATA, Graph's sendMail request is going out) and with False when the
#: other side then refused it explicitly (nothing delivered). The quarterly record follows it,
#: so a process killed in between leaves a truthful record (`sync.kwartaal.rapportage`).
Overdracht = Callable[[bool], None]


class Transport(Protocol):
    naam: str

    def verzend(self, bericht: EmailMessage, overdracht: Overdracht | None = None) -> Resultaat:
        """Deliver once; raises one of the three errors above; reports the hand-over to `overdracht`."""

    def al_verzonden(self, message_id: str) -> bool | None:
        """True/False when the transport can tell whether `message_id` went out; None if it cannot."""


def opgeven(exc: BaseException, pogingen: int, reden: str) -> BaseException:
    """The last failure once the retries end; stopped by the service, it says so."""
    if reden != "stop" or not isinstance(exc, TijdelijkeVerzendFout):
        return exc
    return TijdelijkeVerzendFout(f"stopped while retrying after {pogingen} attempt(s): {exc}",
                                 f"Verzenden afgebroken omdat pMIEK stopte, na {pogingen} poging(en); er is niets "
                                 f"verzonden ({exc.melding}). Het wordt opnieuw geprobeerd na de volgende start.",
                                 status=exc.status)
