"""The Graph transport against the local Graph stub: the real office365 client and msal, over
TLS, app-only token. The stub learns the mail endpoints here (through its `route` API):
sendMail, draft messages, attachments, the attachment upload session and send.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import io
import re
import secrets
import uuid
from dataclasses import dataclass, field
from email.policy import default as default_policy

import pytest
from openpyxl import load_workbook

from graphstub import Antwoord, graph_fout
from sample_overzicht import sample_overzicht
from sync.kwartaal.bericht import bouw_bericht
from sync.kwartaal.inhoud import bouw_rapport
from sync.kwartaal.tijdlijn import tijdlijn_png
from sync.kwartaal.transport import GraphTransport, Herhaling, OnzekereVerzending, TijdelijkeVerzendFout, VerzendFout

AFZENDER = "pmiek@drenthe.nl"
U = r"(?i)^/v1\.0/users/(?P<u>[^/]+)"  # Graph paths are case-insensitive (the library sends "sendmail")


@dataclass
class Postvak:
    """What the fake Exchange received."""

    verzonden: list[dict] = field(default_factory=list)  # messages as sent, attachments decoded
    concepten: dict[str, dict] = field(default_factory=dict)
    sessies: dict[str, dict] = field(default_factory=dict)
    chunk_headers: list[dict] = field(default_factory=list)


def _bijlage(a: dict) -> dict:
    return {"name": a["name"], "contentType": a.get("contentType"), "isInline": bool(a.get("isInline")),
            "contentId": a.get("contentId"), "bytes": base64.b64decode(a["contentBytes"])}


def leer_mail(stub, postvak: Postvak) -> None:
    def send_mail(stub, v, m):
        body = v.json()
        bericht = dict(body["message"])
        bericht["attachments"] = [_bijlage(a) for a in bericht.get("attachments") or []]
        bericht["afzender"] = m["u"]
        bericht["saveToSentItems"] = body.get("saveToSentItems")
        bericht["wijze"] = "sendMail"
        postvak.verzonden.append(bericht)
        return Antwoord(202, None)

    def concept(stub, v, m):
        mid = "AAMk" + secrets.token_hex(8)
        bericht = dict(v.json())
        bericht.update(id=mid, attachments=[], afzender=m["u"], wijze="concept")
        postvak.concepten[mid] = bericht
        return Antwoord(201, {"id": mid, "subject": bericht.get("subject"), "isDraft": True})

    def bijlage(stub, v, m):
        c = postvak.concepten.get(m["id"])
        if c is None:
            return graph_fout(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        a = _bijlage(v.json())
        c["attachments"].append(a)
        return Antwoord(201, {"id": "att" + secrets.token_hex(4), "name": a["name"]})

    def sessie(stub, v, m):
        if m["id"] not in postvak.concepten:
            return graph_fout(404, "ErrorItemNotFound", "not found")
        item = v.json()["AttachmentItem"]
        sid = uuid.uuid4().hex
        postvak.sessies[sid] = {"concept": m["id"], "item": item, "data": bytearray()}
        return Antwoord(201, {"uploadUrl": f"{stub.url}/_mailupload/{sid}?authtoken=stub",
                              "expirationDateTime": "2030-01-01T00:00:00Z", "nextExpectedRanges": ["0-"]})

    def chunk(stub, v, m):
        s = postvak.sessies[m["sid"]]
        postvak.chunk_headers.append(dict(v.headers))
        if "authorization" in v.headers:  # the uploadUrl is pre-authenticated; a token here is refused
            return graph_fout(401, "InvalidAuthenticationToken", "unexpected Authorization header")
        start, eind, totaal = map(int, re.match(r"bytes (\d+)-(\d+)/(\d+)", v.headers["content-range"]).groups())
        if start != len(s["data"]) or eind - start + 1 != len(v.body) or len(v.body) > 4 * 1024 * 1024:
            return graph_fout(416, "InvalidRange", "chunk out of order or wrong size")
        s["data"] += v.body
        if len(s["data"]) < totaal:
            return Antwoord(200, {"nextExpectedRanges": [f"{len(s['data'])}-"]})
        assert totaal == s["item"]["size"]
        postvak.concepten[s["concept"]]["attachments"].append(
            {"name": s["item"]["name"], "contentType": s["item"].get("contentType"), "isInline": False,
             "contentId": None, "bytes": bytes(s["data"])})
        return Antwoord(201, None, {"Location": f"{stub.url}/v1.0/users/x/messages/{s['concept']}/attachments('a1')"})

    def versturen(stub, v, m):
        c = postvak.concepten.pop(m["id"], None)
        if c is None:
            return graph_fout(404, "ErrorItemNotFound", "not found")
        c["wijze"] = "concept+send"
        postvak.verzonden.append(c)
        return Antwoord(202, None)

    def verwijderen(stub, v, m):
        postvak.concepten.pop(m["id"], None)
        return Antwoord(204, None)

    stub.route("POST", U + r"/sendMail$", send_mail)
    stub.route("POST", U + r"/messages$", concept)
    stub.route("POST", U + r"/messages/(?P<id>[^/]+)/attachments$", bijlage)
    stub.route("POST", U + r"/messages/(?P<id>[^/]+)/attachments/createUploadSession$", sessie)
    stub.route("POST", U + r"/messages/(?P<id>[^/]+)/send$", versturen)
    stub.route("DELETE", U + r"/messages/(?P<id>[^/]+)$", verwijderen)
    stub.route("PUT", r"^/_mailupload/(?P<sid>[^/]+)$", chunk)


@pytest.fixture
def postvak(graph_stub):
    p = Postvak()
    leer_mail(graph_stub, p)
    return p


@pytest.fixture(scope="module")
def klein_bericht(tmp_path_factory):
    from sync.master import schrijf_master
    o = sample_overzicht()
    pad = tmp_path_factory.mktemp("master") / "m.xlsx"
    schrijf_master(o, pad)
    r = bouw_rapport(o)
    return bouw_bericht(r, tijdlijn_png(r.projecten, r.peildatum), pad.read_bytes(), afzender=AFZENDER,
                        ontvangers=["energy-board@drenthe.nl", "wip@drenthe.nl"],
                        datum=dt.datetime(2026, 10, 5, 6, 0, tzinfo=dt.timezone.utc))


def groot_bericht(klein) -> email.message.EmailMessage:
    """The same e-mail with a master over 3 MB (a large portfolio's workbook): the real workbook
    bytes followed by incompressible padding inside a zip comment keep it a valid xlsx."""
    msg = email.message_from_bytes(klein.as_bytes(), policy=default_policy)
    bijlage = [p for p in msg.walk() if p.get_content_disposition() == "attachment"][0]
    data = bijlage.get_content()
    # A zip's end-of-central-directory record may carry a comment of up to 65535 bytes; instead
    # grow the archive with an extra stored member of random bytes (openpyxl ignores unknown parts).
    import zipfile
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_STORED) as z:
        z.writestr("customXml/opvulling.bin", secrets.token_bytes(3_500_000))
    bijlage.set_content(buf.getvalue(), maintype="application",
                        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        filename=bijlage.get_filename())
    return msg


def transport(graph_verbinding, pogingen: int = 3) -> GraphTransport:
    return GraphTransport(graph_verbinding.client, AFZENDER, graph_verbinding.session,
                          Herhaling(pogingen=pogingen, basis=0.01, slaap=lambda s: None), timeout=10)


def test_small_report_goes_through_sendmail_with_inline_picture(graph_stub, graph_verbinding, postvak, klein_bericht):
    r = transport(graph_verbinding).verzend(klein_bericht)
    assert r.transport == "graph"
    (m,) = postvak.verzonden
    assert m["wijze"] == "sendMail" and m["afzender"] == AFZENDER and m["saveToSentItems"] is True
    assert m["subject"] == "pMIEK kwartaaloverzicht Q3 2026"
    assert [x["emailAddress"]["address"] for x in m["toRecipients"]] == ["energy-board@drenthe.nl", "wip@drenthe.nl"]
    assert m["body"]["contentType"].lower() == "html"
    assert {"name": "X-Pmiek-Message-Id", "value": klein_bericht["Message-ID"]} in m["internetMessageHeaders"]
    png, xlsx = m["attachments"]
    # The picture is an inline attachment whose contentId the HTML references.
    assert png["isInline"] and png["bytes"][:4] == b"\x89PNG" and f'cid:{png["contentId"]}' in m["body"]["content"]
    assert "&lt;script&gt;" in m["body"]["content"] and "<script>" not in m["body"]["content"]
    assert not xlsx["isInline"] and xlsx["name"] == "pMIEK-monitoring-2026Q3.xlsx"
    assert "Plusprojecten" in load_workbook(io.BytesIO(xlsx["bytes"]), read_only=True).sheetnames
    # App-only: one token from the stub's token endpoint, client credentials grant.
    assert graph_stub.token_verzoeken[0]["grant_type"] == ["client_credentials"]
    assert graph_stub.tel("POST", r"/createUploadSession$") == 0


def test_large_attachment_goes_through_an_upload_session(graph_stub, graph_verbinding, postvak, klein_bericht):
    groot = groot_bericht(klein_bericht)
    master = [p for p in groot.walk() if p.get_content_disposition() == "attachment"][0].get_content()
    assert len(master) > 3 * 1024 * 1024
    transport(graph_verbinding).verzend(groot)
    (m,) = postvak.verzonden
    assert m["wijze"] == "concept+send" and postvak.concepten == {}
    assert {"name": "X-Pmiek-Message-Id", "value": groot["Message-ID"]} in m["internetMessageHeaders"]
    namen = [a["name"] for a in m["attachments"]]
    assert namen == ["tijdlijn-2026Q3.png", "pMIEK-monitoring-2026Q3.xlsx"]
    png, xlsx = m["attachments"]
    assert png["isInline"] and f'cid:{png["contentId"]}' in m["body"]["content"]
    assert xlsx["bytes"] == master  # arrived whole, in order
    assert load_workbook(io.BytesIO(xlsx["bytes"]), read_only=True).sheetnames[0] == "Overzicht"
    # Chunks: several, each within Graph's 4 MB limit, none with a bearer token.
    assert len(postvak.chunk_headers) >= 2
    assert all("authorization" not in h for h in postvak.chunk_headers)
    assert graph_stub.tel("POST", r"(?i)/sendmail$") == 0


def test_throttled_sendmail_is_retried(graph_stub, graph_verbinding, postvak, klein_bericht):
    graph_stub.fout_injecteren("POST", r"(?i)/sendmail$", 429, aantal=2, headers={"Retry-After": "0"})
    transport(graph_verbinding).verzend(klein_bericht)
    assert len(postvak.verzonden) == 1 and graph_stub.tel("POST", r"(?i)/sendmail$") == 3


def test_throttling_beyond_the_bound_is_a_transient_failure(graph_stub, graph_verbinding, postvak, klein_bericht):
    graph_stub.fout_injecteren("POST", r"(?i)/sendmail$", 503, aantal=5, headers={"Retry-After": "0"})
    with pytest.raises(TijdelijkeVerzendFout):
        transport(graph_verbinding, pogingen=2).verzend(klein_bericht)
    assert postvak.verzonden == [] and graph_stub.tel("POST", r"(?i)/sendmail$") == 2


def test_refusal_is_final(graph_stub, graph_verbinding, postvak, klein_bericht):
    graph_stub.fout_injecteren("POST", r"(?i)/sendmail$", 403, body={"error": {"code": "ErrorAccessDenied",
                                                                        "message": "Access is denied."}})
    with pytest.raises(VerzendFout) as e:
        transport(graph_verbinding).verzend(klein_bericht)
    assert e.value.status == 403 and graph_stub.tel("POST", r"(?i)/sendmail$") == 1


def test_server_error_on_send_is_uncertain_and_not_retried(graph_stub, graph_verbinding, postvak, klein_bericht):
    graph_stub.fout_injecteren("POST", r"(?i)/sendmail$", 502)
    with pytest.raises(OnzekereVerzending):
        transport(graph_verbinding).verzend(klein_bericht)
    assert graph_stub.tel("POST", r"(?i)/sendmail$") == 1


def test_failed_upload_removes_the_draft(graph_stub, graph_verbinding, postvak, klein_bericht):
    groot = groot_bericht(klein_bericht)
    graph_stub.fout_injecteren("POST", r"/createUploadSession$", 403)
    with pytest.raises(VerzendFout):
        transport(graph_verbinding).verzend(groot)
    assert postvak.verzonden == [] and postvak.concepten == {}
    assert graph_stub.tel("DELETE", r"/messages/") == 1


def test_throttled_attachment_chunk_is_retried_by_the_shared_upload_session(graph_stub, graph_verbinding, postvak,
                                                                           klein_bericht):
    groot = groot_bericht(klein_bericht)
    graph_stub.fout_injecteren("PUT", r"^/_mailupload/", 429, headers={"Retry-After": "0"})
    transport(graph_verbinding).verzend(groot)
    (m,) = postvak.verzonden
    master = [p for p in groot.walk() if p.get_content_disposition() == "attachment"][0].get_content()
    assert m["attachments"][-1]["bytes"] == master
    assert graph_stub.tel("PUT", r"^/_mailupload/") == len(postvak.chunk_headers) + 1  # the 429 came before the stub route
