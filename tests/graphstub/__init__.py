"""A local stand-in for Microsoft Graph and Entra ID, for tests that use the real office365 client
and real msal (no mocks of our own code).

One threaded HTTPS server (`GraphStub`, in `server.py`) answers both the token endpoint and the
Graph endpoints; its certificate comes from a throwaway CA made at test time (`certs.py`), and
the client trusts that CA through `ca_bundle`, so TLS stays verified. The client reaches the stub
through `GraphVerbinding(graph_url=stub.url, authority_host=stub.url, ...)`: requests the
library addresses to https://graph.microsoft.com are routed there.

Fixtures (registered through `tests/conftest.py`, module `graphstub.plugin`):

- `graph_pki`: the CA, server and app certificates (session scope).
- `graph_stub`: a started `GraphStub`; the client secret is in env var `PMIEK_TEST_GRAPH_SECRET`.
- `graph_verbinding`: a `sync.graph.GraphVerbinding` (client secret) against `graph_stub`.

The fake tenant (attributes of `GraphStub`):

- `tenant_id`, `client_id`, `client_secret`; `pki.client_pem` + `pki.client_thumbprint` is the
  registered app certificate. `verbinding_kwargs(certificaat=False)` gives the constructor
  arguments for `GraphVerbinding` (`certificaat=True`: certificate instead of secret).
- One site `site` ("contoso.sharepoint.com:/sites/pMIEK", id `site_id`) with one document
  library `drive_id` (name `drive_naam`).

Putting files in the fake library and changing them:

- `map_maken("Fiches")` -> folder id; `bestand_zetten("Fiches/a.xlsx", data)` -> item id (create
  or replace; every write makes a new eTag); `bestand_verwijderen(pad)`;
  `bestand_verplaatsen(pad, "Archief")`; `item(pad)` (a `StubItem`: id, etag, inhoud ...),
  `inhoud(pad)`.
- Delta (`GET /drives/{id}/root/delta`) pages by `pagina_grootte` items (default 2) with
  `@odata.nextLink`, ends with `@odata.deltaLink`; a delta link returns every change since it
  was issued, in order, so an item changed twice appears twice (newest last), deleted items
  carry only id, parentReference and a `deleted` facet, and no `parentReference.path` is given.
  `tokens_laten_verlopen()`: every delta link issued so far answers 410 Gone.
- Content: `GET /drives/{id}/items/{id}/content` redirects (302) to a pre-authenticated URL.

Uploads and failures:

- `uploads`: list of `Upload(pad, wijze="simpel"|"sessie", inhoud, chunks, if_match)`; simple PUT
  is refused above 4 MB (413); upload-session chunks must be 320 KiB multiples (except the last),
  in order, and without an Authorization header (Graph's uploadUrl is pre-authenticated).
- `vergrendel(pad, eigenaar)` / `ontgrendel(pad)`: writes answer 423 `resourceLocked`, message
  "locked for shared use by <eigenaar>". An `If-Match` that is not the current eTag gives 412.
- `fout_injecteren(methode, pad_regex, status, aantal=1, headers=None, body=None)`: the next
  `aantal` matching requests get that response; 429/503 get `Retry-After: retry_after_standaard`
  (1 s) unless given.

Inspecting traffic: `verzoeken` (every `Verzoek`: methode, pad, query, headers, body),
`tel(methode, pad_regex)`, `token_verzoeken` (form fields of every token request, secrets removed).

Adding endpoints (e.g. sendMail): `stub.route("POST", r"^/v1\\.0/users/(?P<u>[^/]+)/sendMail$",
handler)` with `handler(stub, verzoek, match) -> Antwoord(status, body, headers)`; paths under
/v1.0/ get the same bearer-token check as the built-ins. `graph_fout(status, code, message)`
builds a Graph-shaped error.
"""

from .certs import StubPki, maak_pki
from .server import CHUNK_EENHEID, Antwoord, GraphStub, StubItem, Upload, Verzoek, graph_fout

__all__ = ["CHUNK_EENHEID", "Antwoord", "GraphStub", "StubItem", "StubPki", "Upload", "Verzoek", "graph_fout", "maak_pki"]
