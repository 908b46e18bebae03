"""The one retry policy for calls to other parties: the token endpoint, Microsoft Graph and mail.

A `Herhaling` says how many attempts a call gets in all, how long to wait between them
(exponential backoff from `basis`, capped at `maximum`, with a little jitter so services do not
retry in step), that a server's `Retry-After` is honoured (capped at `maximum`; above
`opgeven_boven` seconds it gives up at once instead of stalling the run), which failures are
worth another attempt (`herhaalbaar`: by default `is_tijdelijk`), and when to stop early: a
stopping service sets the process-wide stop event (`stop_herhalingen`), so no job keeps it
waiting between retries. Every retry is one English structured log line.

Two ways in, one policy:
- `voer_uit(wat, actie)`: Graph calls and mail sending (SMTP, Graph sendMail).
- `urllib3_retry(wat)`: the same policy as a urllib3 `Retry` for a `requests` session. msal's
  token requests use it: msal keeps its own throttle cache above the HTTP client (a retried
  `acquire_token_for_client` would be answered from that cache), so token retries belong below it.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

import requests
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from fiche.errors import PmiekError, RemoteError, TijdelijkeFout

log = logging.getLogger("pmiek.sync.herhaling")

T = TypeVar("T")

#: HTTP answers that mean "not now": timeout, throttled, server trouble.
TIJDELIJKE_STATUS = frozenset({408, 429, 500, 502, 503, 504})

_URL_QUERY = re.compile(r"(https?://[^\s?]+)\?\S*")

_stoppen = threading.Event()


def stop_herhalingen() -> None:
    """The service is stopping: every policy without its own stop event gives up at its next wait."""
    _stoppen.set()


def gestopt() -> bool:
    """Whether the process is stopping (`stop_herhalingen`): start nothing new that takes long."""
    return _stoppen.is_set()


@contextmanager
def bij_stop(actie: Callable[[], object], stop: threading.Event | None = None) -> Iterator[None]:
    """While the block runs, a stop (`stop`, default the process-wide one) calls `actie` once:
    to close a connection a blocking call waits on, so the stop need not wait for its timeout."""
    klaar = threading.Event()
    stop = stop or _stoppen

    def wachter() -> None:
        while not klaar.wait(0.2):
            if stop.is_set():
                try:
                    actie()
                except OSError:
                    pass  # already closed
                return

    threading.Thread(target=wachter, name="stop-wachter", daemon=True).start()
    try:
        yield
    finally:
        klaar.set()


def herhalingen_toestaan() -> None:
    """Undo `stop_herhalingen` (a service started again in the same process, tests)."""
    _stoppen.clear()


def wacht_onderbreekbaar(seconden: float, stop: threading.Event | None = None) -> bool:
    """Wait `seconden` (a rate limit's pause); False when the service stopped first."""
    return not (stop or _stoppen).wait(max(0.0, seconden))


def zonder_query(tekst: str) -> str:
    """`tekst` without URL query strings: download and upload-session URLs carry pre-authentication."""
    return _URL_QUERY.sub(r"\1?...", tekst)


def status_van(exc: BaseException) -> int | None:
    """The HTTP (or SMTP) status a failure carries, if any."""
    if isinstance(exc, RemoteError):
        return exc.status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is None:
        status = getattr(response, "status", None)
    return status if isinstance(status, int) else None


def retry_after_van(exc: BaseException) -> float | None:
    """The wait in seconds the server asked for (`Retry-After`: seconds or an HTTP date), if any."""
    if isinstance(exc, TijdelijkeFout):
        return exc.wacht
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return _retry_after(headers.get("Retry-After") if headers is not None else None)


def _retry_after(waarde: Any) -> float | None:
    if waarde is None:
        return None
    tekst = str(waarde).strip()
    if tekst.isdigit():
        return float(tekst)
    try:
        moment = email.utils.parsedate_to_datetime(tekst)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def is_tijdelijk(exc: BaseException) -> bool:
    """Whether another attempt may succeed and cannot do harm.

    Our own errors say so by their class (`TijdelijkeFout`); any other `PmiekError` is final.
    HTTP answers count by status (`TIJDELIJKE_STATUS`); of the transport failures a dropped
    connection or a timeout counts, a TLS failure does not (a wrong certificate stays wrong).
    """
    if isinstance(exc, TijdelijkeFout):
        return True
    if isinstance(exc, PmiekError):
        return False
    status = status_van(exc)
    if status is not None:
        return status in TIJDELIJKE_STATUS
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)):
        return True
    from office365.runtime.client_request_exception import ClientRequestException

    # the library's error without an answer: the request never completed
    return isinstance(exc, ClientRequestException)


@dataclass
class Herhaling:
    """Bounded retries with backoff; see the module docstring.

    `pogingen` counts every attempt (the first one too). `slaap` replaces waiting on the stop
    event (tests pass a list's `append` to see the waits). `opgeven` of `voer_uit` turns the
    last failure into the error to raise once the policy gives up.
    """

    pogingen: int = 4
    basis: float = 2.0
    maximum: float = 60.0
    opgeven_boven: float | None = None
    herhaalbaar: Callable[[BaseException], bool] = is_tijdelijk
    slaap: Callable[[float], None] | None = None
    stop: threading.Event | None = None
    logger: logging.Logger = field(default=log)
    logregel: str = "transient failure, retrying"
    jitter: float = 0.1

    # --- the policy -------------------------------------------------------------------------

    def wacht(self, poging: int, server: float | None = None) -> float:
        """Seconds to wait after failed attempt `poging` (1-based); `server`: its Retry-After."""
        if server is not None:
            return min(max(server, 0.0), self.maximum)
        return min(self.basis * (2 ** (poging - 1)), self.maximum) * (1 + random.random() * self.jitter)

    def gestopt(self) -> bool:
        return self.stop_event().is_set()

    def stop_event(self) -> threading.Event:
        """The event a stop sets: this policy's own, else the process-wide one."""
        return self.stop or _stoppen

    def te_lang(self, server: float | None) -> bool:
        """Whether a server's wait is beyond what this policy waits for (then it gives up at once)."""
        return server is not None and self.opgeven_boven is not None and server > self.opgeven_boven

    def _slapen(self, seconden: float) -> bool:
        """Wait; False when the stop event came first."""
        if self.slaap is not None:
            self.slaap(seconden)
            return not self.gestopt()
        return not (self.stop or _stoppen).wait(seconden)

    def _log_herhaling(self, wat: str, poging: int, exc: BaseException | None, status: int | None,
                       server: float | None, pauze: float, logregel: str | None = None) -> None:
        velden: dict[str, Any] = {
            "what": wat, "attempt": poging, "attempts": self.pogingen, "status": status,
            "error": type(exc).__name__ if exc is not None else None, "retry_after": server,
            "wait_seconds": round(pauze, 3)}
        if isinstance(exc, PmiekError):
            velden["detail"] = zonder_query(str(exc))
        self.logger.warning(logregel or self.logregel, extra={"fields": velden})

    def _log_opgeven(self, wat: str, poging: int, exc: BaseException, reden: str) -> None:
        self.logger.warning("giving up retrying", extra={"fields": {
            "what": wat, "attempt": poging, "attempts": self.pogingen, "status": status_van(exc),
            "error": type(exc).__name__, "reason": reden}})

    # --- ways in ----------------------------------------------------------------------------

    def voer_uit(self, wat: str, actie: Callable[[], T],
                 opgeven: Callable[[BaseException, int, str], BaseException] | None = None) -> T:
        """`actie()` until it succeeds; a failure `herhaalbaar` does not accept is raised as it is.

        When the policy gives up (reason "pogingen": attempts used up, "wachttijd": the server
        asks for more than `opgeven_boven`, "stop": the service is stopping) the last failure is
        raised, or what `opgeven(failure, attempts, reason)` makes of it.
        """
        poging = 0
        while True:
            poging += 1
            try:
                return actie()
            except Exception as exc:
                if not self.herhaalbaar(exc):
                    raise
                server = retry_after_van(exc)
                reden = None
                if poging >= self.pogingen:
                    reden = "pogingen"
                elif self.te_lang(server):
                    reden = "wachttijd"
                elif self.gestopt():
                    reden = "stop"
                else:
                    pauze = self.wacht(poging, server)
                    self._log_herhaling(wat, poging, exc, status_van(exc), server, pauze)
                    if not self._slapen(pauze):
                        reden = "stop"
                if reden is None:
                    continue
                self._log_opgeven(wat, poging, exc, reden)
                if opgeven is None:
                    raise
                raise opgeven(exc, poging, reden) from None

    def urllib3_retry(self, wat: str, logregel: str | None = None) -> Retry:
        """This policy as a urllib3 `Retry` (mount it with `requests.adapters.HTTPAdapter`).

        Status answers in `TIJDELIJKE_STATUS` and connection failures are retried; the final
        answer comes back as a response (not an exception) so the caller reads its error.
        """
        retry = _Urllib3Herhaling(
            total=max(self.pogingen - 1, 0), other=0, backoff_factor=0,
            status_forcelist=sorted(TIJDELIJKE_STATUS), allowed_methods=None,
            respect_retry_after_header=True, raise_on_status=False)
        retry.herhaling, retry.wat, retry.logregel = self, wat, logregel
        return retry


class _Urllib3Herhaling(Retry):
    """urllib3's retry loop with `Herhaling`'s waits, logging, Retry-After bound and stop event."""

    herhaling: Herhaling
    wat: str = ""
    logregel: str | None = None

    def new(self, **kw: Any) -> _Urllib3Herhaling:
        nieuw = super().new(**kw)
        nieuw.herhaling, nieuw.wat, nieuw.logregel = self.herhaling, self.wat, self.logregel
        return nieuw

    def _server(self, response: Any) -> float | None:
        return _retry_after(response.headers.get("Retry-After")) if response is not None else None

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        nieuw = super().increment(method, url, response, error, _pool, _stacktrace)
        h = self.herhaling
        poging = len(nieuw.history)
        server = self._server(response)
        wat = f"{self.wat} {(url or '').split('?')[0]}".strip()
        if h.gestopt() or h.te_lang(server):
            # with raise_on_status=False urllib3 hands back the last answer; the caller reads it
            raise MaxRetryError(_pool, url, error or ResponseError("retry policy gave up"))
        # The pause is drawn once (it has jitter): the log line says the wait that `sleep` makes.
        nieuw._pauze = h.wacht(poging, server)
        h._log_herhaling(wat, poging, error, getattr(response, "status", None), server, nieuw._pauze,
                         self.logregel)
        return nieuw

    def sleep(self, response: Any = None) -> None:
        h = self.herhaling
        pauze = getattr(self, "_pauze", None)
        h._slapen(pauze if pauze is not None else h.wacht(len(self.history), self._server(response)))
