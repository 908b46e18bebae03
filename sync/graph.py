"""The connection to Microsoft Graph: app-only token from msal, the office365 GraphClient, one
request path with timeouts and bounded, logged retries that honour `Retry-After`, and the one
upload-session implementation.

Used by the SharePoint fiche source (`sync.bron.sharepoint`), publishing the master
(`sync.publiceren`) and mail through Graph (`sync.kwartaal.transport`). Why it looks the way it
does (see `../shared/PITFALLS.md`):

- msal is built here, not through the library's `with_certificate`/`with_client_secret`, so its
  HTTP client can carry our timeout, retries and CA bundle; the GraphClient gets a
  `token_callback`. One `ConfidentialClientApplication` per process and credential, so its token
  cache serves every later call.
- The GraphClient's transport is our `requests.Session` (timeouts, CA bundle, and, when
  `graph_url` is not the public endpoint, routing of `https://graph.microsoft.com` to it: a
  relay or the local test stub; the token scope stays Graph's public one). `with_rate_limit()`
  makes every request wait out a `Retry-After` the service sent.
- Retries: the library's `with_auto_retry()` neither logs nor sleeps for `Retry-After`, and
  requests we send ourselves (delta links, upload chunks) never pass through it. So every call
  goes through `GraphVerbinding.verzoek` / `uitvoeren` / `upload_sessie`, retried by the one
  policy of `sync.herhaling` (`GraphVerbinding.herhaling`): at most `max_retries` retries, the
  server's `Retry-After` honoured, one above `max_wait` ends the attempt at once. The token
  requests get the same policy below msal, on its HTTP session.
- Upload sessions (`upload_sessie`): chunks of a multiple of 320 KiB to the pre-authenticated
  `uploadUrl`, without a bearer token but through our own session (routing, CA, timeout), each
  chunk retried; a lost answer (416) resumes from the session's `nextExpectedRanges`; a failed
  upload cancels its session. The library's own chunk upload bypasses all of that.

Secrets come from an environment variable or a certificate file and are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar

import msal
import requests
from office365.graph_client import GraphClient
from office365.runtime.client_request_exception import ClientRequestException
from office365.runtime.http.http_method import HttpMethod
from office365.runtime.http.request_options import RequestOptions

from fiche.errors import ConfigError, RemoteError
from sync.herhaling import Herhaling, status_van, zonder_query

log = logging.getLogger("pmiek.sync.graph")

T = TypeVar("T")

PUBLIEKE_GRAPH = "https://graph.microsoft.com"
PUBLIEKE_AUTHORITY = "https://login.microsoftonline.com"
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]

#: The longest `Retry-After` we wait for inside one run; beyond it we give up and the next run retries.
MAX_WACHT_STANDAARD = 120.0

#: Upload-session chunks must be a multiple of this.
CHUNK_EENHEID = 320 * 1024
#: 16 x 320 KiB = 5 MiB, within Graph's advice for drive items (5-10 MiB per chunk).
CHUNK_STANDAARD = 16 * CHUNK_EENHEID

_apps: dict[tuple[str, str, str, str], msal.ConfidentialClientApplication] = {}
_apps_lock = threading.Lock()


def _velden(**kw: Any) -> dict[str, Any]:
    return {"fields": kw}


class _TimeoutSession(requests.Session):
    """A `requests.Session` with a default timeout (msal's own calls pass none) and a fixed CA.

    `trust_env` is off because `REQUESTS_CA_BUNDLE` would silently replace `verify` (PITFALLS);
    the environment's CA bundle and proxies are applied explicitly instead.
    """

    def __init__(self, timeout: float, ca_bundle: Path | None) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = str(ca_bundle) if ca_bundle else (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True)
        self._timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        if not kwargs.get("proxies"):
            kwargs["proxies"] = requests.utils.get_environ_proxies(url)  # honours no_proxy
        return super().request(method, url, *args, **kwargs)


class _GraphOmleiding(requests.adapters.HTTPAdapter):
    """Sends what the library addresses to https://graph.microsoft.com to `doel` instead."""

    def __init__(self, doel: str) -> None:
        super().__init__()
        self.doel = doel.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if request.url and request.url.startswith(PUBLIEKE_GRAPH + "/"):
            request.url = self.doel + request.url[len(PUBLIEKE_GRAPH):]
        return super().send(request, **kwargs)


def certificaat_credential(pad: Path, thumbprint: str | None, wachtwoord_env: str | None) -> dict[str, Any]:
    """msal's client_credential for a PEM (key + certificate) or PFX file."""
    if not pad.is_file():
        raise ConfigError("source.certificate", f"certificate file {pad} not found",
                          f"het certificaatbestand {pad} bestaat niet.")
    wachtwoord = os.environ.get(wachtwoord_env) if wachtwoord_env else None
    if pad.suffix.lower() in (".pfx", ".p12"):
        cred: dict[str, Any] = {"private_key_pfx_path": str(pad)}
        if wachtwoord:
            cred["passphrase"] = wachtwoord
        return cred
    tekst = pad.read_text(encoding="ascii", errors="replace")
    if "PRIVATE KEY-----" not in tekst:
        raise ConfigError("source.certificate", f"{pad} holds no private key",
                          f"het certificaatbestand {pad} bevat geen private key "
                          "(verwacht: PEM met sleutel en certificaat).")
    if thumbprint:
        cred = {"private_key": tekst, "thumbprint": thumbprint.replace(":", "").strip()}
    elif "BEGIN CERTIFICATE" in tekst:
        # msal derives the SHA-256 thumbprint from the certificate itself
        cred = {"private_key": tekst, "public_certificate": tekst[tekst.index("-----BEGIN CERTIFICATE"):]}
    else:
        raise ConfigError("source.certificate_thumbprint", f"{pad} holds no certificate and no thumbprint is given",
                          "geef de vingerafdruk van het certificaat op (certificate_thumbprint).")
    if wachtwoord:
        cred["passphrase"] = wachtwoord
    return cred


class GraphVerbinding:
    """An app-only connection to Microsoft Graph for one app registration.

    Plain arguments (the config side builds them): a certificate file (PEM with key and
    certificate, or PFX) with its thumbprint, or the NAME of the environment variable holding a
    client secret. `authority_host`, `graph_url` and `ca_bundle` are for a relay or
    TLS-inspecting proxy with its own CA, or the test stub. `max_retries` bounds the retries of
    one request; a `Retry-After` above `max_wait` seconds ends the attempt at once. `herhaling`
    replaces the retry policy built from those two (tests pass one without real waits).
    """

    def __init__(self, tenant_id: str, client_id: str, *, certificate: str | Path | None = None,
                 certificate_thumbprint: str | None = None, certificate_password_env: str | None = None,
                 secret_env: str | None = None, authority_host: str = PUBLIEKE_AUTHORITY,
                 graph_url: str = PUBLIEKE_GRAPH, ca_bundle: str | Path | None = None, timeout: float = 30.0,
                 max_retries: int = 5, max_wait: float = MAX_WACHT_STANDAARD,
                 herhaling: Herhaling | None = None) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.herhaling = herhaling or Herhaling(
            pogingen=max_retries + 1, basis=0.5, maximum=max_wait, opgeven_boven=max_wait, logger=log,
            logregel="graph request failed, retrying")
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        ca = Path(ca_bundle) if ca_bundle else None

        if certificate:
            cred = certificaat_credential(Path(certificate), certificate_thumbprint, certificate_password_env)
            cred_sleutel = "cert:" + str(Path(certificate).resolve())
        elif secret_env:
            geheim = os.environ.get(secret_env)
            if not geheim:
                raise ConfigError("source.secret_env", f"environment variable {secret_env} is not set",
                                  f"de omgevingsvariabele {secret_env} met het clientgeheim is niet gezet.")
            cred = geheim
            cred_sleutel = "secret:" + hashlib.sha256(geheim.encode()).hexdigest()
        else:
            raise ConfigError("source.certificate", "neither a certificate nor secret_env is given",
                              "geef een certificaatbestand (certificate) of een omgevingsvariabele met het "
                              "clientgeheim (secret_env) op.")

        self._msal = self._msal_app(cred, cred_sleutel, authority_host, ca)

        self.session = _TimeoutSession(timeout, ca)
        if graph_url.rstrip("/") != PUBLIEKE_GRAPH:
            self.session.mount(PUBLIEKE_GRAPH + "/", _GraphOmleiding(graph_url))
        self.client = GraphClient(token_callback=self._token)
        self.client.with_transport(session=self.session, timeout=timeout).with_rate_limit()

    # --- token --------------------------------------------------------------------------------

    def _msal_app(self, cred: Any, cred_sleutel: str, authority_host: str,
                  ca: Path | None) -> msal.ConfidentialClientApplication:
        sleutel = (self.authority, self.client_id, cred_sleutel, str(ca))
        with _apps_lock:
            app = _apps.get(sleutel)
            if app is not None:
                return app
            http = _TimeoutSession(self.timeout, ca)
            # msal answers repeats from its own throttle cache, so the retries sit below it, in the session
            adapter = requests.adapters.HTTPAdapter(
                max_retries=self.herhaling.urllib3_retry("token request", logregel="token request failed, retrying"))
            http.mount("https://", adapter)
            http.mount("http://", adapter)
            publiek = authority_host.rstrip("/") == PUBLIEKE_AUTHORITY
            try:
                app = msal.ConfidentialClientApplication(
                    self.client_id, client_credential=cred, authority=self.authority, http_client=http,
                    # a non-public authority (national cloud, test stub) is not in Microsoft's discovery list
                    validate_authority=publiek, instance_discovery=None if publiek else False,
                )
            except (ValueError, requests.RequestException) as exc:
                raise RemoteError(f"token authority {self.authority} unusable: {type(exc).__name__}: {exc}",
                                  "De aanmeldservice van Microsoft (Entra ID) is niet bereikbaar of de tenant "
                                  "klopt niet.") from None
            _apps[sleutel] = app
            return app

    def _token(self) -> dict[str, str]:
        try:
            res = self._msal.acquire_token_for_client(scopes=GRAPH_SCOPE)
        except requests.RequestException as exc:
            raise RemoteError(f"token request failed: {type(exc).__name__}: {exc}",
                              "De aanmeldservice van Microsoft (Entra ID) is niet bereikbaar.") from None
        if "access_token" not in res:
            # error_description names the AADSTS code, never the secret
            beschrijving = (res.get("error_description") or "").splitlines()
            raise RemoteError(f"token refused: {res.get('error')}: {beschrijving[0] if beschrijving else ''}",
                              "Aanmelden bij Microsoft 365 is geweigerd: controleer de app-registratie, het "
                              "certificaat of het geheim.")
        if res.get("token_source") == "identity_provider":
            log.info("access token acquired", extra=_velden(expires_in=res.get("expires_in")))
        return {"access_token": res["access_token"], "token_type": res.get("token_type", "Bearer")}

    # --- requests ------------------------------------------------------------------------------

    def url(self, pad: str) -> str:
        """Absolute Graph URL for a path below the service root ("drives/x/root/delta")."""
        return f"{self.client.pending_request().service_root_url}/{pad.lstrip('/')}"

    def _opgeven(self, wat: str) -> Callable[[BaseException, int, str], BaseException]:
        """What the retry policy raises when it gives up on a Graph call."""
        def opgeven(exc: BaseException, pogingen: int, reden: str) -> BaseException:
            if reden == "wachttijd":
                # honouring it would stall this run: give up, the next run asks again; and the
                # rate limiter must not hold this process back for that long either
                limiter = self.client.rate_limiter
                if limiter is not None:
                    limiter.reset()
                wacht = getattr(getattr(exc, "response", None), "headers", {}).get("Retry-After")
                return RemoteError(f"{wat}: throttled, Retry-After {wacht}s exceeds max_wait {self.max_wait}s",
                                   "Microsoft 365 vraagt ons te wachten; de volgende run probeert het opnieuw.",
                                   status_van(exc))
            return self.als_remote(wat, exc, pogingen=pogingen)
        return opgeven

    @staticmethod
    def als_remote(wat: str, exc: BaseException, pogingen: int = 1) -> RemoteError:
        if isinstance(exc, RemoteError):
            return exc
        status = status_van(exc)
        # download and upload-session URLs carry pre-authentication in their query: keep it out of logs
        tekst = zonder_query(str(exc))
        log_tekst = f"{wat} failed after {pogingen} attempt(s): {status or ''} {type(exc).__name__}: {tekst}"
        return RemoteError(log_tekst.replace("  ", " "),
                           "Microsoft 365 (SharePoint) gaf een fout; de volgende run probeert het opnieuw.", status)

    def _met_herhaling(self, wat: str, functie: Callable[[], T]) -> T:
        """`functie` under the retry policy. A refusal with an answer (404, 410, 412, 423 ...) is
        raised as the library's `ClientRequestException` for the caller to decide; anything else
        that ends the call is a `RemoteError`."""
        try:
            return self.herhaling.voer_uit(wat, functie, opgeven=self._opgeven(wat))
        except requests.RequestException as exc:
            if isinstance(exc, ClientRequestException) and getattr(exc, "response", None) is not None:
                raise
            raise self.als_remote(wat, exc) from None

    def _zonder_token(self, methode: str, url: str, data: bytes | None, headers: dict[str, str]) -> requests.Response:
        """One request to a pre-authenticated URL (an upload session's `uploadUrl`): no bearer
        token, but our session (routing, CA, timeout) and the rate limiter, like every other call."""
        opties = RequestOptions(url=url, method=HttpMethod[methode.capitalize()], data=data, headers=dict(headers))
        response = self.client.pending_request().transport.execute(opties)
        if response.status_code >= 400:
            raise ClientRequestException.from_response(response)
        return response

    def verzoek(self, methode: str, url: str, *, json: Any = None, data: bytes | None = None,
                headers: dict[str, str] | None = None, wat: str | None = None) -> requests.Response:
        """One Graph call (absolute URL, or a path below the service root), retried when transient.

        The request uses our session (routing, CA, timeout) and the rate limiter. Raises
        `ClientRequestException` (e.g. `FileLockedException` for 423) for a non-transient failure,
        `RemoteError` when retries are exhausted.
        """
        volledig = url if url.startswith("https://") or url.startswith("http://") else self.url(url)
        wat = wat or f"{methode} {volledig.split('?')[0]}"
        pending = self.client.pending_request()

        def poging() -> requests.Response:
            opties = RequestOptions(url=volledig, method=HttpMethod[methode.capitalize()],
                                    data=json if json is not None else data, headers=dict(headers or {}))
            if json is not None:
                opties.set_header("Content-Type", "application/json")
            return pending.execute_request_direct(opties)

        return self._met_herhaling(wat, poging)

    def get_json(self, url: str, wat: str | None = None) -> dict[str, Any]:
        return self.verzoek("GET", url, wat=wat).json()

    def uitvoeren(self, wat: str, opdracht: Callable[[], T]) -> T:
        """Queue a library query (`opdracht`, e.g. `lambda: client.x.y().get()`) and run it, with the
        same retries; returns what `opdracht` returned (the result object, filled in).

        Each attempt queues the query afresh: the client pops a query before running it, so a
        failed one is not replayed (and `client.clear()` would also drop the configured transport).
        """
        def poging() -> T:
            resultaat = opdracht()
            self.client.execute_query()
            return resultaat

        return self._met_herhaling(wat, poging)

    def upload_sessie(self, upload_url: str, data: bytes, *, chunk_grootte: int = CHUNK_STANDAARD,
                      wat: str = "upload chunk", melding: str | None = None) -> dict[str, Any]:
        """`upload_sessie` (the function) through this connection: its session, rate limiter and
        retry policy. Raises `ClientRequestException` for a refusal, `RemoteError` otherwise."""
        try:
            return upload_sessie(self._zonder_token, self.herhaling, upload_url, data, chunk_grootte=chunk_grootte,
                                 wat=wat, melding=melding, opgeven=self._opgeven(wat))
        except requests.RequestException as exc:
            if isinstance(exc, ClientRequestException) and getattr(exc, "response", None) is not None:
                raise
            raise self.als_remote(wat, exc) from None

    def close(self) -> None:
        self.session.close()


#: One request to a pre-authenticated URL: (method, url, body, headers) -> the answer; raises
#: `ClientRequestException` for an answer of 400 or more.
Verzender = Callable[[str, str, bytes | None, dict[str, str]], requests.Response]


def sessie_verzender(sessie: requests.Session, timeout: float | None = None) -> Verzender:
    """A `Verzender` for `upload_sessie` over a plain `requests.Session` (no bearer token)."""
    def verzend(methode: str, url: str, data: bytes | None, headers: dict[str, str]) -> requests.Response:
        kw: dict[str, Any] = {"timeout": timeout} if timeout else {}
        response = sessie.request(methode, url, data=data, headers=headers, **kw)
        if response.status_code >= 400:
            raise ClientRequestException.from_response(response)
        return response
    return verzend


def upload_sessie(verzend: Verzender, herhaling: Herhaling, upload_url: str, data: bytes, *,
                  chunk_grootte: int = CHUNK_STANDAARD, wat: str = "upload chunk", melding: str | None = None,
                  opgeven: Callable[[BaseException, int, str], BaseException] | None = None) -> dict[str, Any]:
    """Send `data` to an upload session's pre-authenticated `upload_url`, in chunks; the final
    answer's JSON (the drive item; `{}` for a mail attachment, whose answer has no body).

    The one implementation for the master (a drive item) and for mail attachments. `verzend`
    does one request and raises `ClientRequestException` for an answer of 400 or more; every
    chunk request goes through `herhaling` (`opgeven` as in `Herhaling.voer_uit`). Graph answers
    a chunk with 202 (drive) or 200 (mail) and `nextExpectedRanges`, the last one with 200/201.
    A 416 means the service already has (part of) the range, e.g. after a lost answer: ask the
    session where to go on. On any failure the session is cancelled (best effort) and the
    failure raised; `melding` is the Dutch text when the service never confirms the upload.
    """
    if chunk_grootte <= 0 or chunk_grootte % CHUNK_EENHEID:
        raise ValueError(f"chunk_grootte must be a positive multiple of {CHUNK_EENHEID}")
    totaal = len(data)

    def stuur(methode: str, stuk: bytes | None = None, headers: dict[str, str] | None = None) -> requests.Response:
        return herhaling.voer_uit(wat, lambda: verzend(methode, upload_url, stuk, dict(headers or {})), opgeven=opgeven)

    try:
        begin, bereik_fouten = 0, 0
        while begin < totaal:
            eind = min(begin + chunk_grootte, totaal) - 1
            try:
                antwoord = stuur("PUT", data[begin:eind + 1], {
                    "Content-Range": f"bytes {begin}-{eind}/{totaal}", "Content-Type": "application/octet-stream"})
            except ClientRequestException as exc:
                bereik_fouten += 1
                if status_van(exc) != 416 or bereik_fouten > 3:
                    raise
                begin = _volgende_begin(stuur("GET").json())
                continue
            body = _json_of_leeg(antwoord)
            if antwoord.status_code == 201 or "id" in body or (
                    antwoord.status_code == 200 and not body.get("nextExpectedRanges")):
                return body
            begin = _volgende_begin(body, eind + 1)
        raise RemoteError(f"{wat}: upload session ended without the final answer",
                          melding or "Microsoft 365 bevestigde de upload niet; de volgende run probeert het opnieuw.")
    except BaseException:
        try:
            verzend("DELETE", upload_url, None, {})
        except Exception as exc:  # noqa: BLE001 - best effort; an abandoned session expires by itself
            log.info("could not cancel the upload session", extra=_velden(what=wat, error=type(exc).__name__))
        raise


def _volgende_begin(body: dict[str, Any], standaard: int = 0) -> int:
    bereiken = body.get("nextExpectedRanges") or [f"{standaard}-"]
    return int(str(bereiken[0]).split("-")[0])


def _json_of_leeg(antwoord: requests.Response) -> dict[str, Any]:
    try:
        body = antwoord.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def verbinding_uit_config(sp: Any) -> GraphVerbinding:
    """A `GraphVerbinding` from the config's `SharePointConfig` (duck-typed: same field names)."""
    return GraphVerbinding(
        sp.tenant_id, sp.client_id, certificate=sp.certificate, certificate_thumbprint=sp.certificate_thumbprint,
        certificate_password_env=sp.certificate_password_env, secret_env=sp.secret_env,
        authority_host=sp.authority_host, graph_url=sp.graph_url, ca_bundle=sp.ca_bundle,
        timeout=sp.timeout, max_retries=sp.max_retries,
    )
