"""A local HTTPS server that speaks the Microsoft Graph and Entra ID endpoints pMIEK calls.

The real `office365` GraphClient and real `msal` talk to it; see the package docstring
(`tests/graphstub/__init__.py`) for the API tests use.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .certs import StubPki

GRAPH_HOST = "https://graph.microsoft.com"
#: The mimeType SharePoint reports for a file, by extension (any other: octet-stream).
MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xlsb": "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _mime_type(naam: str) -> str:
    punt = naam.rfind(".")
    return MIME_TYPES.get(naam[punt:].lower() if punt >= 0 else "", "application/octet-stream")
CHUNK_EENHEID = 320 * 1024
SIMPEL_MAX = 4 * 1024 * 1024


@dataclass
class Verzoek:
    """One request as the stub received it (kept in `GraphStub.verzoeken`)."""

    methode: str
    pad: str  # path without query, URL-decoded
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Antwoord:
    status: int
    body: bytes | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["GraphStub", Verzoek, "re.Match[str]"], Antwoord]


def graph_fout(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Antwoord:
    """A Graph-shaped error response."""
    return Antwoord(status, {"error": {"code": code, "message": message,
                                       "innerError": {"request-id": str(uuid.uuid4())}}}, headers or {})


@dataclass
class StubItem:
    id: str
    naam: str
    parent_id: str | None
    is_map: bool
    inhoud: bytes = b""
    versie: int = 1
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    gewijzigd: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    verwijderd: bool = False

    @property
    def etag(self) -> str:
        return f'"{{{self.guid}}},{self.versie}"'


@dataclass
class Upload:
    """An upload that completed: how it came in and what arrived."""

    pad: str
    wijze: str  # "simpel" | "sessie"
    inhoud: bytes
    chunks: list[int] = field(default_factory=list)  # chunk sizes, for "sessie"
    if_match: str | None = None


@dataclass
class _Fout:
    methode: str
    patroon: re.Pattern[str]
    antwoord: Antwoord
    aantal: int


@dataclass
class _Sessie:
    parent_id: str
    naam: str
    ontvangen: bytearray = field(default_factory=bytearray)
    chunks: list[int] = field(default_factory=list)
    if_match: str | None = None


class GraphStub:
    """State and behaviour of the fake tenant: one site, one document library, one app registration."""

    def __init__(self, pki: StubPki, *, tenant_id: str = "11111111-2222-3333-4444-555555555555",
                 client_id: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee") -> None:
        self.pki = pki
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = "stub-" + secrets.token_urlsafe(16)
        self._app_cert = x509.load_pem_x509_certificate(pki.client_cert_pem)
        self.site_host = "contoso.sharepoint.com"
        self.site_pad = "/sites/pMIEK"
        self.site = f"{self.site_host}:{self.site_pad}"
        self.site_id = f"{self.site_host},{uuid.uuid4()},{uuid.uuid4()}"
        self.drive_id = "b!" + secrets.token_urlsafe(24)
        self.drive_naam = "Documenten"
        self.pagina_grootte = 2
        self.retry_after_standaard = 1

        self._lock = threading.RLock()
        self._items: dict[str, StubItem] = {}
        self._log: list[tuple[int, dict[str, Any]]] = []
        self._seq = 0
        self._generatie = 0  # delta tokens of an older generation answer 410
        self._paginas: dict[str, tuple[list[dict[str, Any]], int]] = {}
        self._sessies: dict[str, _Sessie] = {}
        self._fouten: list[_Fout] = []
        self._sloten: dict[str, str] = {}  # item id -> lock owner
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._tokens: set[str] = set()

        self.verzoeken: list[Verzoek] = []
        self.uploads: list[Upload] = []
        self.geannuleerde_sessies = 0
        self.token_verzoeken: list[dict[str, list[str]]] = []

        self.root_id = self._nieuw_id()
        self._items[self.root_id] = StubItem(self.root_id, "root", None, True)
        self._register_standaard_routes()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.url_ander = ""

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "GraphStub":
        stub = self

        class _Handler(_RequestHandler):
            graph_stub = stub

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.pki.server_cert), str(self.pki.server_key))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.url = f"https://127.0.0.1:{server.server_address[1]}"
        # download and upload URLs live on another host in SharePoint: the client must not send its token there
        self.url_ander = f"https://localhost:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="graph-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- what a test sets up -------------------------------------------------------------------

    def verbinding_kwargs(self, *, certificaat: bool = False, secret_env: str = "PMIEK_TEST_GRAPH_SECRET") -> dict[str, Any]:
        """Keyword arguments for `sync.graph.GraphVerbinding` pointing at this stub.

        With `certificaat=False` the caller must put `self.client_secret` into `secret_env`
        (the `graph_stub` fixture does, through monkeypatch).
        """
        kw: dict[str, Any] = dict(tenant_id=self.tenant_id, client_id=self.client_id,
                                  authority_host=self.url, graph_url=self.url, ca_bundle=self.pki.ca_pem,
                                  timeout=10.0, max_retries=3)
        if certificaat:
            kw.update(certificate=self.pki.client_pem, certificate_thumbprint=self.pki.client_thumbprint)
        else:
            kw.update(secret_env=secret_env)
        return kw

    def map_maken(self, pad: str) -> str:
        """Create the folder `pad` (and its parents) below the library root; returns its id."""
        with self._lock:
            parent = self.root_id
            for deel in [d for d in pad.strip("/").split("/") if d]:
                kind = self._kind(parent, deel)
                if kind is None:
                    kind = StubItem(self._nieuw_id(), deel, parent, True)
                    self._items[kind.id] = kind
                    self._wijziging(kind)
                parent = kind.id
            return parent

    def bestand_zetten(self, pad: str, inhoud: bytes, *, gewijzigd: dt.datetime | None = None) -> str:
        """Create or replace the file at `pad` ("Fiches/x.xlsx"); a new version gets a new eTag."""
        with self._lock:
            map_pad, _, naam = pad.strip("/").rpartition("/")
            parent = self.map_maken(map_pad) if map_pad else self.root_id
            return self._schrijf(parent, naam, inhoud, gewijzigd).id

    def bestand_verwijderen(self, pad: str) -> str:
        """Delete a file or a folder. A folder takes its contents along, and (the hard case for a
        client) only the folder itself appears in the delta feed."""
        with self._lock:
            item = self.item(pad)
            nu = dt.datetime.now(dt.timezone.utc)
            for kind in self._nakomelingen(item.id):
                kind.verwijderd, kind.gewijzigd = True, nu
            item.verwijderd = True
            item.gewijzigd = nu
            self._wijziging(item)
            return item.id

    def bestand_verplaatsen(self, pad: str, naar_map: str) -> str:
        with self._lock:
            item = self.item(pad)
            item.parent_id = self.map_maken(naar_map) if naar_map else self.root_id
            item.versie += 1
            self._wijziging(item)
            return item.id

    def hernoemen(self, pad: str, naam: str) -> str:
        with self._lock:
            item = self.item(pad)
            item.naam = naam
            item.versie += 1
            self._wijziging(item)
            return item.id

    def item(self, pad: str) -> StubItem:
        """The live (not deleted) item at `pad`; KeyError when absent."""
        with self._lock:
            item = self._op_pad(self.root_id, pad)
            if item is None:
                raise KeyError(pad)
            return item

    def inhoud(self, pad: str) -> bytes:
        return self.item(pad).inhoud

    def vergrendel(self, pad: str, eigenaar: str) -> None:
        """Writes to `pad` answer 423 as if `eigenaar` had the file open in Excel."""
        with self._lock:
            self._sloten[self.item(pad).id] = eigenaar

    def ontgrendel(self, pad: str) -> None:
        with self._lock:
            self._sloten.pop(self.item(pad).id, None)

    def tokens_laten_verlopen(self) -> None:
        """Every delta token handed out so far now answers 410 Gone (resyncRequired)."""
        with self._lock:
            self._generatie += 1

    def fout_injecteren(self, methode: str, pad_regex: str, status: int, *, aantal: int = 1,
                        headers: dict[str, str] | None = None, body: Any = None) -> None:
        """The next `aantal` requests matching method and path regex get this response instead.

        `methode` "*" matches any method. For 429/503 a `Retry-After` of
        `retry_after_standaard` seconds is added unless `headers` gives one.
        """
        h = dict(headers or {})
        if status in (429, 503) and not any(k.lower() == "retry-after" for k in h):
            h["Retry-After"] = str(self.retry_after_standaard)
        if body is None:
            codes = {429: "TooManyRequests", 503: "serviceNotAvailable", 412: "preconditionFailed",
                     423: "resourceLocked", 500: "generalException", 404: "itemNotFound"}
            body = {"error": {"code": codes.get(status, "stubError"), "message": f"injected {status}"}}
        with self._lock:
            self._fouten.append(_Fout(methode.upper(), re.compile(pad_regex), Antwoord(status, body, h), aantal))

    def route(self, methode: str, pad_regex: str, handler: Handler) -> None:
        """Add an endpoint: `handler(stub, verzoek, match) -> Antwoord` (checked before the built-ins).

        Paths under /v1.0/ require the bearer token the stub issued, as for the built-ins.
        """
        with self._lock:
            self._routes.insert(0, (methode.upper(), re.compile(pad_regex), handler))

    def tel(self, methode: str, pad_regex: str) -> int:
        """How many received requests match (method "*" for any)."""
        p = re.compile(pad_regex)
        with self._lock:
            return sum(1 for v in self.verzoeken if (methode == "*" or v.methode == methode.upper()) and p.search(v.pad))

    def items_json(self, item: StubItem) -> dict[str, Any]:
        with self._lock:
            return self._item_json(item)

    # --- internals -----------------------------------------------------------------------------

    def _nieuw_id(self) -> str:
        return "01" + base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")

    def _kind(self, parent_id: str, naam: str) -> StubItem | None:
        for it in self._items.values():
            if it.parent_id == parent_id and not it.verwijderd and it.naam.lower() == naam.lower():
                return it
        return None

    def _op_pad(self, start: str, pad: str) -> StubItem | None:
        item = self._items[start]
        for deel in [d for d in pad.strip("/").split("/") if d]:
            kind = self._kind(item.id, deel)
            if kind is None:
                return None
            item = kind
        return item

    def _pad_van(self, item: StubItem) -> str:
        delen = []
        while item.parent_id is not None:
            delen.append(item.naam)
            item = self._items[item.parent_id]
        return "/".join(reversed(delen))

    def _schrijf(self, parent: str, naam: str, inhoud: bytes, gewijzigd: dt.datetime | None = None) -> StubItem:
        item = self._kind(parent, naam)
        if item is None:
            item = StubItem(self._nieuw_id(), naam, parent, False, inhoud)
            self._items[item.id] = item
        else:
            item.inhoud = inhoud
            item.versie += 1
        item.gewijzigd = gewijzigd or dt.datetime.now(dt.timezone.utc)
        self._wijziging(item)
        return item

    def _nakomelingen(self, map_id: str) -> list[StubItem]:
        uit = [i for i in self._items.values() if i.parent_id == map_id and not i.verwijderd]
        for i in list(uit):
            if i.is_map:
                uit.extend(self._nakomelingen(i.id))
        return uit

    def _wijziging(self, item: StubItem) -> None:
        self._seq += 1
        self._log.append((self._seq, self._item_json(item)))
        # As in SharePoint, the folders above a changed item change too (size, cTag) and are
        # listed again: a client must not take that for a change of the folder structure.
        ouder = item.parent_id
        while ouder is not None:
            self._seq += 1
            self._log.append((self._seq, self._item_json(self._items[ouder])))
            ouder = self._items[ouder].parent_id

    def _item_json(self, item: StubItem) -> dict[str, Any]:
        ref = {"driveId": self.drive_id, "driveType": "documentLibrary"}
        if item.parent_id is not None:
            ref["id"] = item.parent_id  # delta gives no parentReference.path (PITFALLS)
        if item.verwijderd:
            # SharePoint delta: a deleted item keeps little more than its id
            return {"id": item.id, "parentReference": ref, "deleted": {"state": "deleted"}}
        doc = {
            "id": item.id, "name": item.naam, "eTag": item.etag,
            "lastModifiedDateTime": item.gewijzigd.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "createdDateTime": item.gewijzigd.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "webUrl": f"https://{self.site_host}{self.site_pad}/{quote(self.drive_naam)}/{quote(self._pad_van(item))}",
            "parentReference": ref,
            "size": len(item.inhoud) if not item.is_map else 0,
        }
        if item.parent_id is None:
            doc["root"] = {}
        if item.is_map:
            doc["folder"] = {"childCount": sum(1 for i in self._items.values() if i.parent_id == item.id and not i.verwijderd)}
        else:
            doc["file"] = {"mimeType": _mime_type(item.naam)}
        return doc

    def _delta_link(self, **q: str) -> str:
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        return f"{GRAPH_HOST}/v1.0/drives/{self.drive_id}/root/delta?{qs}"

    # --- request handling ----------------------------------------------------------------------

    def behandel(self, v: Verzoek) -> Antwoord:
        with self._lock:
            self.verzoeken.append(v)
            for f in self._fouten:
                if f.aantal > 0 and (f.methode in ("*", v.methode)) and f.patroon.search(v.pad):
                    f.aantal -= 1
                    return f.antwoord
            if v.pad.startswith("/v1.0/"):
                auth = v.headers.get("authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in self._tokens:
                    return graph_fout(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            for methode, patroon, handler in self._routes:
                if methode in ("*", v.methode):
                    m = patroon.search(v.pad)
                    if m:
                        return handler(self, v, m)
        return graph_fout(404, "itemNotFound", f"stub has no route for {v.methode} {v.pad}")

    def _register_standaard_routes(self) -> None:
        d = r"/v1\.0/drives/(?P<d>[^/]+)"
        tabel: list[tuple[str, str, Handler]] = [
            ("GET", r"^/(?P<t>[^/]+)/v2\.0/\.well-known/openid-configuration$", GraphStub._openid),
            ("POST", r"^/(?P<t>[^/]+)/oauth2/v2\.0/token$", GraphStub._token),
            ("GET", r"^/v1\.0/sites/(?P<host>[^/:]+):(?P<pad>/[^:]+):?$", GraphStub._site),
            ("GET", r"^/v1\.0/sites/(?P<s>[^/]+)/drives$", GraphStub._drives),
            ("GET", r"^/v1\.0/sites/(?P<s>[^/]+)/drive$", GraphStub._drive),
            ("GET", d + r"/root/delta$", GraphStub._delta),
            ("GET", d + r"/root$", GraphStub._root),
            ("GET", d + r"/(?:items/(?P<parent>[^/:]+)|root):/(?P<pad>[^:]+):?$", GraphStub._op_pad_get),
            ("PUT", d + r"/(?:items/(?P<parent>[^/:]+)|root):/(?P<pad>[^:]+):/content$", GraphStub._upload_simpel),
            ("POST", d + r"/(?:items/(?P<parent>[^/:]+)|root):/(?P<pad>[^:]+):/createUploadSession$", GraphStub._sessie_maken),
            ("GET", d + r"/items/(?P<id>[^/:]+)/content$", GraphStub._content),
            ("GET", d + r"/items/(?P<id>[^/:]+)$", GraphStub._item_get),
            ("GET", r"^/_download/(?P<id>[^/]+)$", GraphStub._download),
            ("PUT", r"^/_upload/(?P<sid>[^/]+)$", GraphStub._chunk),
            ("GET", r"^/_upload/(?P<sid>[^/]+)$", GraphStub._sessie_status),
            ("DELETE", r"^/_upload/(?P<sid>[^/]+)$", GraphStub._sessie_annuleren),
        ]
        for methode, patroon, handler in reversed(tabel):
            self.route(methode, patroon, handler)

    # token endpoint (msal) ----------------------------------------------------------------------

    def _openid(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        t = m["t"]
        base = f"{self.url}/{t}"
        return Antwoord(200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                              "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                              "issuer": f"{base}/v2.0", "token_endpoint_auth_methods_supported":
                              ["client_secret_post", "private_key_jwt"]})

    def _token(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        form = parse_qs(v.body.decode())
        self.token_verzoeken.append({k: val for k, val in form.items() if k not in ("client_secret", "client_assertion")})
        een = lambda k: (form.get(k) or [""])[0]  # noqa: E731
        fout = lambda code, tekst: Antwoord(401 if code == "invalid_client" else 400,  # noqa: E731
                                            {"error": code, "error_description": tekst})
        if m["t"] != self.tenant_id:
            return fout("invalid_request", f"AADSTS90002: Tenant '{m['t']}' not found.")
        if een("client_id") != self.client_id:
            return fout("unauthorized_client", "AADSTS700016: Application not found in the directory.")
        if een("grant_type") != "client_credentials" or een("scope") != "https://graph.microsoft.com/.default":
            return fout("invalid_request", "AADSTS900144: expected client_credentials for Graph .default")
        if een("client_secret"):
            if not secrets.compare_digest(een("client_secret"), self.client_secret):
                return fout("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        elif een("client_assertion"):
            try:
                self._check_assertion(een("client_assertion"))
            except Exception as exc:  # noqa: BLE001 - any defect is an invalid client
                return fout("invalid_client", f"AADSTS700027: Client assertion failed signature validation: {exc}")
        else:
            return fout("invalid_client", "AADSTS7000218: client_assertion or client_secret required.")
        token = "stub." + secrets.token_urlsafe(24)
        self._tokens.add(token)
        return Antwoord(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    def _check_assertion(self, assertion: str) -> None:
        kop = jwt.get_unverified_header(assertion)
        der = self._app_cert.public_bytes(serialization.Encoding.DER)
        b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731
        if ((kop.get("x5t") or "").rstrip("=") != b64(hashlib.sha1(der).digest())  # noqa: S324
                and (kop.get("x5t#S256") or "").rstrip("=") != b64(hashlib.sha256(der).digest())):
            raise ValueError("unknown certificate thumbprint")
        jwt.decode(assertion, self._app_cert.public_key(), algorithms=["RS256", "PS256"],
                   audience=f"{self.url}/{self.tenant_id}/oauth2/v2.0/token", issuer=self.client_id)

    # sites and drives ---------------------------------------------------------------------------

    def _site(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        if m["host"] != self.site_host or m["pad"].rstrip("/").lower() != self.site_pad.lower():
            return graph_fout(404, "itemNotFound", "Requested site could not be found")
        return Antwoord(200, {"id": self.site_id, "displayName": "pMIEK", "webUrl": f"https://{self.site_host}{self.site_pad}"})

    def _drive_json(self) -> dict[str, Any]:
        return {"id": self.drive_id, "name": self.drive_naam, "driveType": "documentLibrary",
                "webUrl": f"https://{self.site_host}{self.site_pad}/{quote(self.drive_naam)}"}

    def _drives(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        if m["s"] not in (self.site_id, self.site):
            return graph_fout(404, "itemNotFound", "Requested site could not be found")
        return Antwoord(200, {"value": [self._drive_json()]})

    def _drive(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        if m["s"] not in (self.site_id, self.site):
            return graph_fout(404, "itemNotFound", "Requested site could not be found")
        return Antwoord(200, self._drive_json())

    def _eigen_drive(self, m: re.Match[str]) -> Antwoord | None:
        if m["d"] != self.drive_id:
            return graph_fout(404, "itemNotFound", "The drive cannot be found")
        return None

    # items ---------------------------------------------------------------------------------------

    def _root(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        return self._eigen_drive(m) or Antwoord(200, self._item_json(self._items[self.root_id]))

    def _item_get(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        item = self._items.get(m["id"])
        if (fout := self._eigen_drive(m)) or item is None or item.verwijderd:
            return fout or graph_fout(404, "itemNotFound", "The resource could not be found.")
        return Antwoord(200, self._item_json(item))

    def _op_pad_get(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        start = m["parent"] or self.root_id
        item = self._op_pad(start, m["pad"]) if start in self._items else None
        if (fout := self._eigen_drive(m)) or item is None:
            return fout or graph_fout(404, "itemNotFound", "The resource could not be found.")
        return Antwoord(200, self._item_json(item))

    def _content(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        item = self._items.get(m["id"])
        if (fout := self._eigen_drive(m)) or item is None or item.verwijderd or item.is_map:
            return fout or graph_fout(404, "itemNotFound", "The resource could not be found.")
        # Graph answers with a redirect to a pre-authenticated URL on another host
        return Antwoord(302, b"", {"Location": f"{self.url_ander}/_download/{item.id}?tempauth={secrets.token_urlsafe(8)}"})

    def _download(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        if "authorization" in v.headers:
            return Antwoord(401, b"the pre-authenticated URL takes no bearer token")
        item = self._items.get(m["id"])
        if item is None or item.verwijderd:
            return Antwoord(404, b"")
        return Antwoord(200, item.inhoud, {"Content-Type": "application/octet-stream"})

    # delta ---------------------------------------------------------------------------------------

    def _delta(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        if fout := self._eigen_drive(m):
            return fout
        skip = (v.query.get("$skiptoken") or [None])[0]
        token = (v.query.get("token") or [None])[0]
        if skip is not None:
            if skip not in self._paginas:
                return graph_fout(400, "invalidRequest", "unknown skiptoken")
            records, eind = self._paginas.pop(skip)
        else:
            if token is None:
                records = [self._item_json(i) for i in self._items.values() if not i.verwijderd]
            else:
                try:
                    generatie, vanaf = (int(x) for x in token.split("."))
                except ValueError:
                    return graph_fout(400, "invalidRequest", "malformed delta token")
                if generatie < self._generatie:
                    return graph_fout(410, "resyncRequired", "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd.",
                                      {"Location": self._delta_link()})
                # every change since the token, in order: an item changed twice appears twice
                records = [rec for seq, rec in self._log if seq > vanaf]
            eind = self._seq
        pagina, rest = records[: self.pagina_grootte], records[self.pagina_grootte:]
        body: dict[str, Any] = {"@odata.context": f"{GRAPH_HOST}/v1.0/$metadata#Collection(driveItem)", "value": pagina}
        if rest:
            sleutel = secrets.token_urlsafe(12)
            self._paginas[sleutel] = (rest, eind)
            body["@odata.nextLink"] = self._delta_link(**{"$skiptoken": sleutel})
        else:
            body["@odata.deltaLink"] = self._delta_link(token=f"{self._generatie}.{eind}")
        return Antwoord(200, body)

    # uploads -------------------------------------------------------------------------------------

    def _doel(self, m: re.Match[str]) -> tuple[str, str] | Antwoord:
        if fout := self._eigen_drive(m):
            return fout
        start = m["parent"] or self.root_id
        map_pad, _, naam = m["pad"].strip("/").rpartition("/")
        parent = self._op_pad(start, map_pad) if start in self._items else None
        if parent is None or not parent.is_map:
            return graph_fout(404, "itemNotFound", "The parent folder does not exist.")
        return parent.id, naam

    def _schrijf_check(self, parent: str, naam: str, v: Verzoek) -> Antwoord | None:
        bestaand = self._kind(parent, naam)
        if bestaand is not None and bestaand.id in self._sloten:
            eigenaar = self._sloten[bestaand.id]
            return graph_fout(423, "resourceLocked",
                              f'The file "{naam}" is locked for shared use by {eigenaar} [SPFileLockException]')
        im = v.headers.get("if-match")
        if im and im != "*" and (bestaand is None or bestaand.etag != im):
            return graph_fout(412, "preconditionFailed", "ETag does not match current item's value")
        return None

    def _upload_simpel(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        doel = self._doel(m)
        if isinstance(doel, Antwoord):
            return doel
        parent, naam = doel
        if len(v.body) > SIMPEL_MAX:
            return graph_fout(413, "requestTooLarge", "simple upload is limited to 4 MB; use an upload session")
        if fout := self._schrijf_check(parent, naam, v):
            return fout
        bestond = self._kind(parent, naam) is not None
        item = self._schrijf(parent, naam, v.body)
        self.uploads.append(Upload(self._pad_van(item), "simpel", v.body, if_match=v.headers.get("if-match")))
        return Antwoord(200 if bestond else 201, self._item_json(item))

    def _sessie_maken(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        doel = self._doel(m)
        if isinstance(doel, Antwoord):
            return doel
        parent, naam = doel
        if fout := self._schrijf_check(parent, naam, v):
            return fout
        sid = secrets.token_urlsafe(12)
        self._sessies[sid] = _Sessie(parent, naam, if_match=v.headers.get("if-match"))
        verloopt = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Antwoord(200, {"uploadUrl": f"{self.url_ander}/_upload/{sid}", "expirationDateTime": verloopt,
                              "nextExpectedRanges": ["0-"]})

    def _sessie_status(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        sessie = self._sessies.get(m["sid"])
        if sessie is None:
            return graph_fout(404, "itemNotFound", "upload session not found or expired")
        return Antwoord(200, {"nextExpectedRanges": [f"{len(sessie.ontvangen)}-"]})

    def _sessie_annuleren(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        self._sessies.pop(m["sid"], None)
        self.geannuleerde_sessies += 1
        return Antwoord(204, b"")

    def _chunk(self, v: Verzoek, m: re.Match[str]) -> Antwoord:
        sessie = self._sessies.get(m["sid"])
        if sessie is None:
            return graph_fout(404, "itemNotFound", "upload session not found or expired")
        if "authorization" in v.headers:
            # Graph: the uploadUrl is pre-authenticated; a bearer token may give 401
            return graph_fout(401, "unauthenticated", "do not send Authorization to the uploadUrl")
        rng = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", v.headers.get("content-range", ""))
        if not rng:
            return graph_fout(400, "invalidRequest", "Content-Range required")
        begin, eind, totaal = (int(x) for x in rng.groups())
        lengte = eind - begin + 1
        if lengte != len(v.body) or begin != len(sessie.ontvangen):
            return graph_fout(416, "invalidRange", f"expected range starting at {len(sessie.ontvangen)}")
        laatste = eind + 1 == totaal
        if not laatste and lengte % CHUNK_EENHEID:
            return graph_fout(400, "invalidRequest", "fragment size must be a multiple of 320 KiB")
        sessie.ontvangen += v.body
        sessie.chunks.append(lengte)
        if not laatste:
            return Antwoord(202, {"nextExpectedRanges": [f"{eind + 1}-"]})
        del self._sessies[m["sid"]]
        bestond = self._kind(sessie.parent_id, sessie.naam) is not None
        item = self._schrijf(sessie.parent_id, sessie.naam, bytes(sessie.ontvangen))
        self.uploads.append(Upload(self._pad_van(item), "sessie", bytes(sessie.ontvangen), list(sessie.chunks), sessie.if_match))
        return Antwoord(200 if bestond else 201, self._item_json(item))


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    graph_stub: GraphStub

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return

    def _alles(self) -> None:
        lengte = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(lengte) if lengte else b""
        delen = urlsplit(self.path)
        v = Verzoek(self.command, unquote(delen.path), parse_qs(delen.query),
                    {k.lower(): val for k, val in self.headers.items()}, body)
        try:
            a = self.graph_stub.behandel(v)
        except Exception as exc:  # noqa: BLE001 - a stub bug must show as a 500, not a hang
            a = graph_fout(500, "stubFailure", repr(exc))
        data = a.body if isinstance(a.body, bytes) else (b"" if a.body is None else json.dumps(a.body).encode())
        self.send_response(a.status)
        if not isinstance(a.body, bytes) and a.body is not None:
            self.send_header("Content-Type", "application/json")
        for k, val in a.headers.items():
            self.send_header(k, val)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _alles
