"""The connection to Microsoft Graph: app-only token from msal, the office365 GraphClient, and one
request path with timeouts and bounded, logged retries that honour `Retry-After`.

Used by the SharePoint fiche source (`sync.bron.sharepoint`), publishing the master
(`sync.publiceren`) and, later, mail through Graph. Why it looks the way it does (see
`../shared/PITFALLS.md`):

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
  goes through `GraphVerbinding.verzoek` / `uitvoeren`, which use the library's own retry helper
  with a callback that logs each retry and waits the server's `Retry-After` (bounded by
  `max_wait`), for at most `max_retries` retries.

Secrets come from an environment variable or a certificate file and are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Callable

import msal
import requests
from office365.graph_client import GraphClient
from office365.runtime.client_request_exception import ClientRequestException
from office365.runtime.http.http_method import HttpMethod
from office365.runtime.http.request_options import RequestOptions
from office365.runtime.retry import is_transient_error, response_retry_after, retry
from urllib3.util.retry import Retry

from fiche.errors import ConfigError, RemoteError

log = logging.getLogger("pmiek.sync.graph")

PUBLIEKE_GRAPH = "https://graph.microsoft.com"
PUBLIEKE_AUTHORITY = "https://login.microsoftonline.com"
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]

#: The longest `Retry-After` we wait for inside one run; beyond it we give up and the next run retries.
MAX_WACHT_STANDAARD = 120.0

_URL_QUERY = re.compile(r"(https?://[^\s?]+)\?\S*")

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


class _LoggedRetry(Retry):
    """urllib3 retry for the token endpoint that says in the log what it is doing."""

    def get_retry_after(self, response):
        # honour Retry-After, but never sleep longer than one run may wait
        wacht = super().get_retry_after(response)
        return None if wacht is None else min(wacht, MAX_WACHT_STANDAARD)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        nieuw = super().increment(method, url, response, error, _pool, _stacktrace)
        log.warning("token request failed, retrying", extra=_velden(
            url=(url or "").split("?")[0], status=getattr(response, "status", None),
            error=type(error).__name__ if error else None, retries_left=nieuw.total))
        return nieuw


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
    one request; a `Retry-After` above `max_wait` seconds ends the attempt at once.
    """

    def __init__(self, tenant_id: str, client_id: str, *, certificate: str | Path | None = None,
                 certificate_thumbprint: str | None = None, certificate_password_env: str | None = None,
                 secret_env: str | None = None, authority_host: str = PUBLIEKE_AUTHORITY,
                 graph_url: str = PUBLIEKE_GRAPH, ca_bundle: str | Path | None = None, timeout: float = 30.0,
                 max_retries: int = 5, max_wait: float = MAX_WACHT_STANDAARD) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
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
            adapter = requests.adapters.HTTPAdapter(max_retries=_LoggedRetry(
                total=self.max_retries, other=0, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=None, respect_retry_after_header=True, raise_on_status=False))
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
                                  "De aanmeldservice van Microsoft (Entra ID) is niet bereikbaar "
                                  "of de tenant klopt niet.") from None
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
            uitleg = res.get("error_description", "").splitlines()[0] if res.get("error_description") else ""
            raise RemoteError(f"token refused: {res.get('error')}: {uitleg}",
                              "Aanmelden bij Microsoft 365 is geweigerd: controleer de app-registratie, "
                              "het certificaat of het geheim.")
        if res.get("token_source") == "identity_provider":
            log.info("access token acquired", extra=_velden(expires_in=res.get("expires_in")))
        return {"access_token": res["access_token"], "token_type": res.get("token_type", "Bearer")}

    # --- requests ------------------------------------------------------------------------------

    def url(self, pad: str) -> str:
        """Absolute Graph URL for a path below the service root ("drives/x/root/delta")."""
        return f"{self.client.pending_request().service_root_url}/{pad.lstrip('/')}"

    def _na_fout(self, wat: str) -> Callable[[int, Exception], int | None]:
        def na_fout(poging: int, exc: Exception) -> int | None:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            wacht = response_retry_after(response)
            if poging >= self.max_retries + 1:
                raise self.als_remote(wat, exc, pogingen=poging) from None
            if wacht is not None and wacht > self.max_wait:
                # honouring it would stall this run: give up, the next run asks again
                limiter = self.client.rate_limiter
                if limiter is not None:
                    limiter.reset()
                raise RemoteError(f"{wat}: throttled, Retry-After {wacht}s exceeds max_wait {self.max_wait}s",
                                  "Microsoft 365 vraagt ons te wachten; de volgende run probeert het opnieuw.",
                                  status) from None
            log.warning("graph request failed, retrying", extra=_velden(
                what=wat, status=status, error=type(exc).__name__, attempt=poging,
                max_retries=self.max_retries, retry_after=wacht))
            return wacht
        return na_fout

    @staticmethod
    def als_remote(wat: str, exc: Exception, pogingen: int = 1) -> RemoteError:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        # download and upload-session URLs carry pre-authentication in their query: keep it out of logs
        tekst = _URL_QUERY.sub(r"\1?...", str(exc))
        log_tekst = f"{wat} failed after {pogingen} attempt(s): {status or ''} {type(exc).__name__}: {tekst}"
        return RemoteError(log_tekst.replace("  ", " "),
                           "Microsoft 365 (SharePoint) gaf een fout; de volgende run probeert het opnieuw.", status)

    def _met_retries(self, wat: str, functie: Callable[[], Any]) -> Any:
        return retry(functie, max_retry=self.max_retries + 1, timeout_secs=1, max_delay=int(self.max_wait),
                     is_retriable=is_transient_error, on_failure=self._na_fout(wat))

    def verzoek(self, methode: str, url: str, *, json: Any = None, data: bytes | None = None,
                headers: dict[str, str] | None = None, aanmelden: bool = True, wat: str | None = None,
                stream: bool = False) -> requests.Response:
        """One Graph call (absolute URL, or a path below the service root), retried when transient.

        `aanmelden=False` sends no bearer token: the pre-authenticated `uploadUrl` of an upload
        session wants none. Either way the request uses our session (routing, CA, timeout) and
        the rate limiter. Raises `ClientRequestException` (e.g. `FileLockedException` for 423)
        for a non-transient failure, `RemoteError` when retries are exhausted.
        """
        volledig = url if url.startswith("https://") or url.startswith("http://") else self.url(url)
        wat = wat or f"{methode} {volledig.split('?')[0]}"
        pending = self.client.pending_request()

        def poging() -> requests.Response:
            opties = RequestOptions(url=volledig, method=HttpMethod[methode.capitalize()],
                                    data=json if json is not None else data, headers=dict(headers or {}), stream=stream)
            if json is not None:
                opties.set_header("Content-Type", "application/json")
            if aanmelden:
                return pending.execute_request_direct(opties)
            response = pending.transport.execute(opties)
            if response.status_code >= 400:
                raise ClientRequestException.from_response(response)
            return response

        try:
            return self._met_retries(wat, poging)
        except requests.RequestException as exc:
            if isinstance(exc, ClientRequestException) and getattr(exc, "response", None) is not None:
                raise  # the caller decides (404, 410, 412, 423 ...)
            raise self.als_remote(wat, exc) from None

    def get_json(self, url: str, wat: str | None = None) -> dict[str, Any]:
        return self.verzoek("GET", url, wat=wat).json()

    def uitvoeren(self, wat: str) -> None:
        """Run the client's pending queries (`client.x.y().get()` style) with the same retries."""
        try:
            self.client.execute_query_retry(max_retry=self.max_retries + 1, timeout_secs=1,
                                            max_delay=int(self.max_wait), failure_callback=self._na_fout(wat))
        except requests.RequestException as exc:
            if isinstance(exc, ClientRequestException) and getattr(exc, "response", None) is not None:
                raise
            raise self.als_remote(wat, exc) from None

    def close(self) -> None:
        self.session.close()


def verbinding_uit_config(sp: Any) -> GraphVerbinding:
    """A `GraphVerbinding` from the config's `SharePointConfig` (duck-typed: same field names)."""
    return GraphVerbinding(
        sp.tenant_id, sp.client_id, certificate=sp.certificate, certificate_thumbprint=sp.certificate_thumbprint,
        certificate_password_env=sp.certificate_password_env, secret_env=sp.secret_env,
        authority_host=sp.authority_host, graph_url=sp.graph_url, ca_bundle=sp.ca_bundle,
        timeout=sp.timeout, max_retries=sp.max_retries,
    )
