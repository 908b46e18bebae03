"""The one retry policy (`sync.herhaling.Herhaling`): bounded attempts, backoff, Retry-After,
which failures are retried, one structured log line per retry, and the stop event. Waits are
recorded instead of slept, or tiny; the urllib3 form runs against a real server on loopback."""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from fiche.errors import ConfigError, RemoteError, TijdelijkeFout
from sync import herhaling as H
from sync.herhaling import Herhaling, is_tijdelijk


class Wisselvallig:
    """Fails with the given errors in turn, then answers "klaar"."""

    def __init__(self, *fouten: BaseException) -> None:
        self.fouten = list(fouten)
        self.pogingen = 0

    def __call__(self) -> str:
        self.pogingen += 1
        if self.fouten:
            raise self.fouten.pop(0)
        return "klaar"


def _beleid(**kw) -> tuple[Herhaling, list[float]]:
    slapen: list[float] = []
    return Herhaling(slaap=slapen.append, **{"pogingen": 4, "basis": 0.5, "maximum": 10.0, **kw}), slapen


def test_transient_failures_are_retried_with_growing_waits_and_logged(caplog):
    beleid, slapen = _beleid()
    actie = Wisselvallig(TijdelijkeFout("busy", status=451), TijdelijkeFout("busy", status=451))
    with caplog.at_level(logging.WARNING, logger="pmiek.sync.herhaling"):
        assert beleid.voer_uit("SMTP send", actie) == "klaar"
    assert actie.pogingen == 3
    assert len(slapen) == 2 and 0.5 <= slapen[0] < slapen[1] <= 1.1
    regels = [r for r in caplog.records if r.getMessage() == "transient failure, retrying"]
    assert [r.fields["attempt"] for r in regels] == [1, 2]
    assert all(r.fields["what"] == "SMTP send" and r.fields["status"] == 451 and r.fields["attempts"] == 4
               for r in regels)


def test_retry_after_is_honoured_but_capped_and_beyond_the_bound_gives_up_at_once():
    beleid, slapen = _beleid(maximum=5.0)
    beleid.voer_uit("x", Wisselvallig(TijdelijkeFout("throttled", wacht=3), TijdelijkeFout("throttled", wacht=99)))
    assert slapen == [3, 5.0]  # the server's wait, but never more than `maximum`

    beleid, slapen = _beleid(opgeven_boven=60.0)
    redenen = []

    def opgeven(exc, pogingen, reden):
        redenen.append((pogingen, reden))
        return RemoteError(f"gave up: {exc}", "Probeer het later opnieuw.")

    actie = Wisselvallig(TijdelijkeFout("throttled", wacht=3600))
    with pytest.raises(RemoteError, match="gave up"):
        beleid.voer_uit("x", actie, opgeven=opgeven)
    assert actie.pogingen == 1 and slapen == [] and redenen == [(1, "wachttijd")]


def test_attempts_are_bounded_and_the_last_failure_is_raised():
    beleid, slapen = _beleid(pogingen=3)
    fouten = [TijdelijkeFout(f"busy {i}") for i in range(5)]
    with pytest.raises(TijdelijkeFout) as e:
        beleid.voer_uit("x", Wisselvallig(*fouten))
    assert e.value is fouten[2] and len(slapen) == 2


def test_a_final_failure_is_not_retried():
    beleid, slapen = _beleid()
    for fout in (ConfigError("report.smtp_host", "missing", "ontbreekt."), RemoteError("refused", status=403),
                 requests.exceptions.SSLError("bad certificate")):
        actie = Wisselvallig(fout)
        with pytest.raises(type(fout)):
            beleid.voer_uit("x", actie)
        assert actie.pogingen == 1
    assert slapen == []


def _antwoord(status: int, retry_after: str | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    if retry_after is not None:
        r.headers["Retry-After"] = retry_after
    return r


def test_which_failures_are_transient():
    assert is_tijdelijk(TijdelijkeFout("busy"))
    assert not is_tijdelijk(RemoteError("refused", status=503))  # our own errors say it by their class
    assert is_tijdelijk(requests.HTTPError(response=_antwoord(429)))
    assert is_tijdelijk(requests.HTTPError(response=_antwoord(503)))
    assert not is_tijdelijk(requests.HTTPError(response=_antwoord(404)))
    assert is_tijdelijk(requests.ConnectionError("reset"))
    assert is_tijdelijk(requests.Timeout("slow"))
    assert not is_tijdelijk(requests.exceptions.SSLError("untrusted"))
    assert not is_tijdelijk(ValueError("a bug"))
    assert H.retry_after_van(requests.HTTPError(response=_antwoord(429, "7"))) == 7
    assert H.retry_after_van(requests.HTTPError(response=_antwoord(429, "Wed, 21 Oct 2015 07:28:00 GMT"))) == 0


def test_the_stop_event_ends_a_wait_and_prevents_further_attempts():
    stop = threading.Event()
    beleid = Herhaling(pogingen=5, basis=30.0, maximum=30.0, stop=stop)
    actie = Wisselvallig(*[TijdelijkeFout("busy") for _ in range(5)])
    threading.Timer(0.2, stop.set).start()
    start = time.monotonic()
    with pytest.raises(TijdelijkeFout):
        beleid.voer_uit("x", actie)
    assert time.monotonic() - start < 10 and actie.pogingen == 1

    # the process-wide event, which a stopping service sets
    beleid = Herhaling(pogingen=5, basis=0.01)
    H.stop_herhalingen()
    try:
        actie = Wisselvallig(TijdelijkeFout("busy"))
        with pytest.raises(TijdelijkeFout):
            beleid.voer_uit("x", actie)
        assert actie.pogingen == 1
    finally:
        H.herhalingen_toestaan()
    assert beleid.voer_uit("x", Wisselvallig(TijdelijkeFout("busy"))) == "klaar"


class _Server:
    """A loopback HTTP server answering the queued statuses in turn, then 200."""

    def __init__(self, *antwoorden: tuple[int, str | None]) -> None:
        self.antwoorden = list(antwoorden)
        self.verzoeken = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # noqa: ANN002 - keep test output quiet
                return

            def do_POST(self):  # noqa: N802 - http.server's naming
                server.verzoeken += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, retry_after = server.antwoorden.pop(0) if server.antwoorden else (200, None)
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _sessie(beleid: Herhaling) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.mount("http://", requests.adapters.HTTPAdapter(max_retries=beleid.urllib3_retry("token request")))
    return s


def test_the_same_policy_drives_urllib3_retries_of_a_session(caplog):
    server = _Server((503, "0"), (429, "1"))
    try:
        beleid, slapen = _beleid(pogingen=3, opgeven_boven=60.0)
        with caplog.at_level(logging.WARNING, logger="pmiek.sync.herhaling"):
            assert _sessie(beleid).post(server.url, data=b"x", timeout=5).status_code == 200
        assert server.verzoeken == 3 and slapen == [0, 1]
        regels = [r for r in caplog.records if "retrying" in r.getMessage()]
        assert [(r.fields["attempt"], r.fields["status"], r.fields["retry_after"]) for r in regels] == \
            [(1, 503, 0), (2, 429, 1)]

        # attempts used up: the last answer comes back for the caller to read
        server.antwoorden[:] = [(503, "0")] * 5
        server.verzoeken = 0
        assert _sessie(beleid).post(server.url, data=b"x", timeout=5).status_code == 503
        assert server.verzoeken == 3

        # a Retry-After beyond the bound: no waiting at all
        server.antwoorden[:] = [(429, "3600")]
        server.verzoeken = 0
        slapen.clear()
        assert _sessie(beleid).post(server.url, data=b"x", timeout=5).status_code == 429
        assert server.verzoeken == 1 and slapen == []
    finally:
        server.stop()
