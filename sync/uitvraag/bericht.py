"""The uitvraag round's e-mails, in Dutch, as plain text and Outlook-safe HTML (the layout parts
of `sync.kwartaal.opmaak`, shared with the quarterly e-mail):

- `verzoek`: to the voorzitter (the team in cc when configured): the project's current
  stoplicht, the open findings of the last validation, the deadline, the link to the fiche and
  the template link for a new project;
- `herinnering`: the same, to a voorzitter who has not (validly) delivered, saying which;
- the request for a project without a voorzitter (or without an address), to the project leader;
- `deadline_melding`: to the project leader after the deadline: who has not delivered.

Structure: multipart/alternative (text/plain, text/html); no pictures, no attachments. Every
fiche text goes through `e`/`schoon`; no fiche text reaches a header except the project name in
the subject, with line breaks and control characters removed.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from fiche.datums import datum_nl, kwartaal_label_van_code
from sync.kwartaal.opmaak import alinea, e, hoofdtitel, kaart, kader, kop, lijst, link, pagina, schoon
from sync.uitvraag.stand import ProjectUitvraag

BOVENREGEL = "Provincie Drenthe · pMIEK · uitvraag"
#: Findings shown per e-mail (the fiche's own Controle sheet lists them all).
MAX_BEVINDINGEN = 8


@dataclass
class Opmaak:
    """What every message of one round shares."""

    kwartaal: str
    deadline: dt.date
    afzender: str
    projectleider: list[str]
    template_link: str | None = None
    #: Test mode: every message goes to this one address instead.
    test_adres: str | None = None

    @property
    def label(self) -> str:
        return kwartaal_label_van_code(self.kwartaal)


def _eenregelig(tekst: str) -> str:
    return " ".join(schoon(tekst).split())


def _bevindingen(p: ProjectUitvraag) -> list[tuple[str, str]]:
    """(kind, text) of the last validation's findings, errors first."""
    uit = []
    for b in sorted(p.bevindingen, key=lambda b: b.get("severity") != "error"):
        soort = "Fout" if b.get("severity") == "error" else "Waarschuwing"
        tekst = schoon(b.get("message") or "")
        if b.get("cell"):
            tekst += f" (cel {schoon(b['cell'])})"
        uit.append((soort, tekst))
    return uit


def _reden_herinnering(p: ProjectUitvraag) -> str:
    if p.laatste_geweigerd:
        return ("De nieuwste versie van de fiche is afgekeurd bij de controle; de fouten staan hieronder. "
                "Wilt u ze herstellen en de fiche opnieuw opslaan?")
    return "Wij hebben sinds het begin van deze uitvraag nog geen nieuwe, geldige versie van de fiche ontvangen."


def _project_regels(p: ProjectUitvraag, o: Opmaak) -> tuple[list[str], list[tuple[str, str]]]:
    """The project block as text lines and as card rows (label, HTML)."""
    tekst, url = p.link
    s = p.stand
    regels_t = [f"Project: {schoon(p.projectnaam)}", f"Huidig stoplicht: {p.stoplicht.label}",
                f"Fiche: {schoon(tekst) if tekst else schoon(p.fiche_naam)}",
                f"Peildatum in de fiche: {datum_nl(s.fiche_peildatum)}"]
    regels_h = [("Fiche", link(url, tekst) if url and tekst else e(p.fiche_naam)),
                ("Peildatum in de fiche", datum_nl(s.fiche_peildatum)),
                ("Deadline", f"<b>{datum_nl(o.deadline)}</b>")]
    if s.toelichting:
        kort = " ".join(schoon(s.toelichting).split())
        kort = kort if len(kort) <= 200 else kort[:199].rstrip() + "…"
        regels_t.append(f"Toelichting: {kort}")
        regels_h.append(("Toelichting", e(kort)))
    return regels_t, regels_h


VRAGEN = ("Zet de peildatum op vandaag.", "Werk de mijlpalen bij: prognose en, als ze klaar zijn, de datum gereed.",
          "Werk de prognose van de inbedrijfname (of oplevering) bij, met een toelichting bij het stoplicht.",
          "Vul de knelpunten en oplossingen aan; zet opgeloste knelpunten op 'Opgelost'.",
          "Controleer het projectteam (voorzitter en e-mailadressen).",
          "Sla de fiche op dezelfde plek op; een nieuwe naam of kopie is niet nodig.")


def _tekst_en_html(p: ProjectUitvraag, o: Opmaak, soort: str, aanhef: str, inleiding: str,
                   toegevoegd: str | None) -> tuple[str, str]:
    regels_t, regels_h = _project_regels(p, o)
    bev = _bevindingen(p)
    titel = ("Herinnering uitvraag" if soort == "herinnering" else "Uitvraag") + f" pMIEK {o.label}"
    t: list[str] = [titel, ""]
    if toegevoegd:
        t += [toegevoegd, ""]
    t += [aanhef, "", inleiding, "", f"DEADLINE: {datum_nl(o.deadline)}", ""]
    t += regels_t + ["", "BEVINDINGEN VAN DE LAATSTE CONTROLE"]
    t += [f"- {k}: {m}" for k, m in bev[:MAX_BEVINDINGEN]] or ["- Geen openstaande bevindingen."]
    if len(bev) > MAX_BEVINDINGEN:
        t.append(f"- En nog {len(bev) - MAX_BEVINDINGEN}: het blad Controle van de fiche toont ze allemaal.")
    t += ["", "WAT WIJ VRAGEN"] + [f"- {v}" for v in VRAGEN]
    if o.template_link:
        t += ["", f"Nieuw project? Begin met het sjabloon: {schoon(o.template_link)}"]
    t += ["", _slot(o)]

    h: list[str] = [hoofdtitel(titel, BOVENREGEL)]
    if toegevoegd:
        h.append(kader(f'<b style="color:#9C0006;">{html.escape(toegevoegd)}</b>'))
    h.append(alinea(e(aanhef)))
    h.append(alinea(e(inleiding)))
    h.append(kader(f"Graag bijgewerkt vóór <b>{datum_nl(o.deadline)}</b>"))
    h.append(kaart(f"<b>{e(p.projectnaam)}</b>", p.stoplicht, regels_h))
    h.append(kop("Bevindingen van de laatste controle"))
    if bev:
        items = [f"<b>{k}:</b> {e(m)}" for k, m in bev[:MAX_BEVINDINGEN]]
        if len(bev) > MAX_BEVINDINGEN:
            items.append(f"<i>en nog {len(bev) - MAX_BEVINDINGEN}: het blad Controle van de fiche toont ze "
                         "allemaal</i>")
        h.append(lijst(items))
    else:
        h.append(alinea("Geen openstaande bevindingen."))
    h.append(kop("Wat wij vragen"))
    h.append(lijst([html.escape(v) for v in VRAGEN]))
    if o.template_link:
        h.append(alinea("Nieuw project? Begin met het sjabloon: " + link(o.template_link)))
    h.append(alinea(html.escape(_slot(o)), "font-size:12px;color:#666666;margin-top:18px;"))
    return "\n".join(t) + "\n", pagina(titel, "".join(h))


def _slot(o: Opmaak) -> str:
    leider = ", ".join(o.projectleider)
    return ("Dit bericht is automatisch verstuurd door pMIEK Monitor namens de projectleider pMIEK"
            + (f" ({leider})" if leider else "") + ". Vragen? Beantwoord dit bericht of neem contact op met de "
            "projectleider.")


def _test_regel(o: Opmaak, aan: list[str], cc: list[str]) -> str | None:
    if not o.test_adres:
        return None
    return (f"TESTMODUS: dit bericht is bedoeld voor {', '.join(aan)}" + (f" (cc: {', '.join(cc)})" if cc else "")
            + f" en is alleen naar {o.test_adres} gestuurd.")


def _bericht(o: Opmaak, soort: str, onderwerp: str, aan: list[str], cc: list[str], tekst: str, html_tekst: str,
             message_id: str | None, datum: dt.datetime | None) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    if o.test_adres:
        onderwerp = f"[TEST] {onderwerp}"
        aan, cc = [o.test_adres], []
    msg["Subject"] = _eenregelig(onderwerp)
    msg["From"] = o.afzender
    msg["To"] = ", ".join(aan)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Reply-To"] = ", ".join(o.projectleider) if o.projectleider else o.afzender
    msg["Date"] = format_datetime(datum or dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = message_id or nieuw_message_id(o.kwartaal, soort, o.afzender)
    msg["X-Pmiek-Kwartaal"] = o.kwartaal
    msg["X-Pmiek-Uitvraag"] = soort
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    msg.set_content(tekst, subtype="plain", charset="utf-8")
    msg.add_alternative(html_tekst, subtype="html", charset="utf-8")
    msg["Content-Language"] = "nl"
    return msg


def nieuw_message_id(kwartaal: str, soort: str, afzender: str | None) -> str:
    domein = (afzender or "").rpartition("@")[2] or "pmiek.local"
    return make_msgid(idstring=f"pmiek-uitvraag-{kwartaal}-{soort}", domain=domein)


def verzoek(p: ProjectUitvraag, o: Opmaak, *, cc: list[str], herinnering: bool = False,
            message_id: str | None = None, datum: dt.datetime | None = None) -> EmailMessage:
    """The request (or reminder) for one project. Without a usable voorzitter it goes to the
    project leader, saying why."""
    soort = "herinnering" if herinnering else "verzoek"
    reden = p.zonder_voorzitter
    if reden is None:
        aan = [p.voorzitter_email or ""]
        aanhef = f"Beste {schoon(p.voorzitter_naam or 'voorzitter')},"
        inleiding = (f"U bent voorzitter van het projectteam van {schoon(p.projectnaam)}. Voor het kwartaaloverzicht "
                     f"{o.label} aan de Energy Board en het WIP vragen wij u de projectfiche bij te werken.")
        if herinnering:
            inleiding = f"{_reden_herinnering(p)} De deadline is {datum_nl(o.deadline)}."
    else:
        aan, cc = list(o.projectleider), []
        aanhef = "Beste projectleider,"
        inleiding = (f"Het project {schoon(p.projectnaam)} kan niet rechtstreeks worden gevraagd: {reden}. Wilt u de "
                     "uitvraag voor dit project zelf uitzetten, en het projectteam in de fiche laten aanvullen?")
    tekst, html_tekst = _tekst_en_html(p, o, soort, aanhef, inleiding, _test_regel(o, aan, cc))
    onderwerp = (("Herinnering: " if herinnering else "") + f"pMIEK uitvraag {o.label}: fiche "
                 f"{_eenregelig(p.projectnaam)[:120]} bijwerken vóór {datum_nl(o.deadline)}")
    return _bericht(o, soort, onderwerp, aan, cc, tekst, html_tekst, message_id, datum)


def deadline_melding(o: Opmaak, niet_geleverd: list[tuple[ProjectUitvraag, str]], geleverd: int, totaal: int, *,
                     message_id: str | None = None, datum: dt.datetime | None = None) -> EmailMessage:
    """The notice to the project leader after the deadline; `niet_geleverd`: (project, Dutch reason)."""
    titel = f"Uitvraag pMIEK {o.label}: stand bij de deadline"
    samenvatting = (f"Van de {totaal} projecten leverden er {geleverd} een geldige, bijgewerkte fiche vóór de "
                    f"deadline van {datum_nl(o.deadline)}; {len(niet_geleverd)} niet.")
    t = [titel, ""]
    test = _test_regel(o, list(o.projectleider), [])
    if test:
        t += [test, ""]
    t += ["Beste projectleider,", "", samenvatting, "", "NIET GELEVERD"]
    t += [f"- {schoon(p.projectnaam)} (voorzitter: {schoon(p.voorzitter_naam or '-')}"
          f"{', ' + p.voorzitter_email if p.voorzitter_email else ''}): {reden}" for p, reden in niet_geleverd]
    if not niet_geleverd:
        t.append("- Iedereen heeft geleverd.")
    t += ["", "De stand per project staat ook op het blad 'Stand uitvraag' van het masterwerkboek en in "
          "'pmiek status'.", "", _slot(o)]
    h = [hoofdtitel(titel, BOVENREGEL)]
    if test:
        h.append(kader(f'<b style="color:#9C0006;">{html.escape(test)}</b>'))
    h += [alinea("Beste projectleider,"), kader(f"<b>{html.escape(samenvatting)}</b>"), kop("Niet geleverd")]
    if niet_geleverd:
        for p, reden in niet_geleverd:
            h.append(kaart(f"<b>{e(p.projectnaam)}</b>", p.stoplicht, [
                ("Voorzitter", e(p.voorzitter_naam or "–") + (f" ({e(p.voorzitter_email)})" if p.voorzitter_email
                                                              else "")),
                ("Reden", e(reden)),
            ]))
    else:
        h.append(alinea("Iedereen heeft geleverd."))
    h.append(alinea("De stand per project staat ook op het blad 'Stand uitvraag' van het masterwerkboek en in "
                    "'pmiek status'."))
    h.append(alinea(html.escape(_slot(o)), "font-size:12px;color:#666666;margin-top:18px;"))
    return _bericht(o, "deadline", titel, list(o.projectleider), [], "\n".join(t) + "\n", pagina(titel, "".join(h)),
                    message_id, datum)
