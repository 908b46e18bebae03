"""The quarterly e-mail as a MIME message, laid out from a `Rapport`.

Structure (what Outlook, Gmail and phone clients all show well):

    multipart/mixed
      multipart/alternative
        text/plain                 the same content as plain text
        multipart/related
          text/html                tables and inline styles only, no external images
          image/png                the timeline, referenced as cid:...
      application/vnd...sheet      the master workbook of the peildatum

Every text that comes from a fiche passes through `_e` (control characters removed, HTML
escaped), so `<script>` stays text and a `=HYPERLINK(...)` is just characters in a cell.
No fiche text ever reaches a header. The HTML building blocks every e-mail of ours shares
(cells, cards, headings, the page around it) are in `sync.kwartaal.opmaak`.
"""

from __future__ import annotations

import datetime as dt
import html
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from fiche.datums import datum_kort, datum_nl
from fiche.errors import ConfigError
from sync.kwartaal.inhoud import KORT, MAX_DETAILS, TELVOLGORDE, Rapport, aantal
from sync.kwartaal.opmaak import (
    FONT,
    alinea as _alinea,
    badge as _badge,
    cel as _cel,
    e as _e,
    hoofdtitel,
    kaart as _kaart,
    kader,
    kop as _kop,
    lijst as _lijst,
    pagina,
    schoon,
    stip as _stip,
    tabel as _tabel,
)

__all__ = ["FONT", "bouw_bericht", "html_versie", "onderdelen", "onderwerp", "schoon", "tekst_versie"]

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
STANDAARD_ONDERWERP = "pMIEK kwartaaloverzicht {kwartaal}"
def _kort(tekst: object, maximum: int = 160) -> str:
    """Long free text cut for a phone screen (the master has it in full)."""
    t = " ".join(schoon(tekst).split())
    return t if len(t) <= maximum else t[: maximum - 1].rstrip() + "…"


def onderwerp(template: str | None, rapport: Rapport) -> str:
    """The subject from the configured template; keys {kwartaal}, {code}, {peildatum}."""
    template = template or STANDAARD_ONDERWERP
    waarden = {"kwartaal": rapport.kwartaal_label, "code": rapport.kwartaal, "peildatum": datum_nl(rapport.peildatum)}
    try:
        tekst = template.format_map(waarden)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError("report.subject", f"invalid subject template ({exc!r})",
                          "het onderwerp mag alleen {kwartaal}, {code} en {peildatum} bevatten.") from None
    return " ".join(tekst.split())  # no CR/LF can reach the header


def master_bestandsnaam(rapport: Rapport) -> str:
    return f"pMIEK-monitoring-{rapport.kwartaal}.xlsx"


def nieuw_message_id(kwartaal: str, afzender: str | None) -> str:
    domein = (afzender or "").rpartition("@")[2] or "pmiek.local"
    return make_msgid(idstring=f"pmiek-{kwartaal}", domain=domein)


# --- plain text ------------------------------------------------------------------------------

def _venster(p) -> str:
    if p.ondergrens is None and p.bovengrens is None:
        return "-"
    return f"{datum_nl(p.ondergrens)} t/m {datum_nl(p.bovengrens)}"


def _slip(dagen: int | None) -> str:
    if dagen is None:
        return "-"
    if dagen == 0:
        return "0 dagen"
    return f"{'+' if dagen > 0 else '-'}{aantal(abs(dagen), 'dag', 'dagen')}"


def uren_nl(uren: float) -> str:
    """Hours the Dutch way: 53,5 and 17 (no trailing ,0)."""
    return f"{uren:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def _venster_woord(p) -> str:
    return "IBN-venster" if p.fiche_type == "concreet" else "Opleveringsvenster"


def _escalatie(p) -> str | None:
    """The escalation level when there is one ("Geen" and empty are none)."""
    return p.escalatie if p.is_geescaleerd else None


AANHEF = "Aan de leden van de Energy Board en het WIP,"
INLEIDING = ("Dit is het kwartaaloverzicht van de projecten in het pMIEK. Eerst wat de Energy Board "
             "gevraagd wordt, dan de plusprojecten en wat er sinds vorig kwartaal veranderde.")
#: Findings shown per kind of data-quality finding (four kinds: about MAX_DETAILS in all).
DK_PER_SOORT = MAX_DETAILS // 4


def _lijst_plus_kop(r: Rapport) -> str:
    """The sub-list of the plusprojecten known only from a project list (one line each, no card)."""
    return f"Uit de projectlijsten (zonder fiche): {aantal(r.aantal_lijst_plus, 'plusproject', 'plusprojecten')}"


def _meer(n: int, r: Rapport, blad: str) -> str:
    """The pointer to the master for what the e-mail only counts."""
    return (f"En nog {n}: het bijgevoegde masterwerkboek ({master_bestandsnaam(r)}, blad {blad}) "
            "bevat ze allemaal.")


def _dk_lijsten(r: Rapport) -> list[tuple[str, list[tuple[str, str]]]]:
    dk = r.datakwaliteit
    return [("Ongeldige fiches", dk.ongeldig), ("Niet bijgewerkt dit kwartaal", dk.niet_bijgewerkt),
            ("Teams zonder voorzitter", dk.zonder_voorzitter), ("Overige meldingen", dk.overig)]


def _per_organisatie(r: Rapport) -> tuple[list, int]:
    rijen = r.capaciteit.per_organisatie
    return rijen[:MAX_DETAILS], max(0, len(rijen) - MAX_DETAILS)


def tekst_versie(r: Rapport) -> str:
    regels: list[str] = []
    add = regels.append
    add(f"pMIEK kwartaaloverzicht {r.kwartaal_label}")
    add(f"Peildatum: {datum_nl(r.peildatum)}")
    add("")
    add(AANHEF)
    add(INLEIDING)
    add("")
    add(schoon(r.samenvatting))
    add("")
    add("GEVRAAGD VAN DE ENERGY BOARD")
    if not r.gevraagd:
        add("- Geen escalaties naar de Energy Board of een versnellingsatelier dit kwartaal.")
    for e in r.gevraagd:
        p = e.project
        add(f"* {schoon(p.projectnaam)} [{p.stoplicht.label}], geëscaleerd naar {schoon(e.overleg)}")
        add(f"  Knelpunt: {schoon(e.knelpunt) if e.knelpunt else '-'}")
        add(f"  Oplossing: {schoon(e.oplossing) if e.oplossing else '-'}")
        add(f"  Gevraagd: {schoon(e.gevraagd)}")
    if r.meer_gevraagd:
        add(_meer(r.meer_gevraagd, r, "Overzicht"))
    add("")
    add("PLUSPROJECTEN")
    if not r.plusprojecten and not r.lijst_plusprojecten:
        add("- Geen plusprojecten dit kwartaal.")
    for rij in r.plusprojecten:
        p = rij.project
        add(f"* {schoon(p.projectnaam)} [{p.stoplicht.label}]")
        add(f"  {_venster_woord(p)}: {_venster(p)}; prognose: {datum_nl(p.prognose)}; "
            f"verschuiving: {_slip(rij.slip_dagen)}")
        add(f"  Toelichting: {_kort(p.toelichting) if p.toelichting else '-'}")
        add(f"  Knelpunt: {schoon(rij.knelpunt) if rij.knelpunt else '-'}")
        add(f"  Oplossing: {schoon(rij.oplossing) if rij.oplossing else '-'}")
        add(f"  Escalatie: {schoon(_escalatie(p)) if _escalatie(p) else 'geen'}")
    if r.meer_plus:
        add(_meer(r.meer_plus, r, "Plusprojecten"))
    if r.lijst_plusprojecten:
        add(_lijst_plus_kop(r))
        for lp in r.lijst_plusprojecten:
            add(f"* {schoon(lp.project.projectnaam)} ({schoon(lp.herkomst)}): {lp.ibn} [{lp.project.stoplicht.label}]")
        if r.meer_lijst_plus:
            add(_meer(r.meer_lijst_plus, r, "Plusprojecten"))
    add("")
    add(f"WIJZIGINGEN SINDS {r.vorig_kwartaal_label.upper()}")
    if not r.wijziging_regels and not r.nieuw_regel:
        add("- Geen wijzigingen.")
    if r.nieuw_regel:
        add(f"- Nieuw: {r.nieuw_regel}")
    for regel in r.wijziging_regels:
        add(f"- {regel.soort}: {schoon(regel.project.projectnaam)}: {regel.wat}")
    if r.meer_wijzigingen:
        add(_meer(r.meer_wijzigingen, r, "Overzicht"))
    add("")
    add("STOPLICHTEN")
    for titel, tel, n in (("Concrete projecten", r.tellingen_concreet, r.aantal_concreet),
                          ("Verkenningen", r.tellingen_verkenning, r.aantal_verkenning)):
        delen = [f"{tel[s]} {KORT[s]}" for s in TELVOLGORDE if tel[s]]
        add(f"- {titel} ({n}): " + (", ".join(delen) if delen else "geen"))
    lijsten = r.lijsten
    if lijsten is not None and lijsten.per_soort:
        for regel in lijsten.regels():
            add(f"- {regel}")
        add("")
        add("PROJECTLIJSTEN NETBEHEERDERS (IP, MS-T, PMIEK 1.0)")
        add(f"- {aantal(lijsten.aantal_verschoven, 'lijstproject', 'lijstprojecten')} later gepland dan vorig "
            f"kwartaal; {aantal(lijsten.aantal_plus, 'plusproject', 'plusprojecten')} uit de lijsten.")
        for p, dagen in lijsten.verschoven:
            add(f"* {schoon(lijsten.verschoven_tekst(p, dagen))}")
        if lijsten.meer_verschoven:
            add(_meer(lijsten.meer_verschoven, r, "Lijstprojecten"))
    add("")
    add("VERKENNINGEN")
    if not r.verkenningen:
        add("- Geen verkenningen.")
    for v in r.verkenningen:
        p = v.project
        volgende = ""
        if v.volgende_mijlpaal:
            volgende = f"; volgende mijlpaal: {schoon(v.volgende_mijlpaal)}"
            if v.volgende_datum:
                volgende += f" ({datum_nl(v.volgende_datum)})"
        add(f"* {schoon(p.projectnaam)} [{p.stoplicht.label}]: oplevering {datum_nl(p.prognose)}; "
            f"{v.mijlpalen_gereed} van de {v.mijlpalen_totaal} mijlpalen gereed{volgende}")
    if r.meer_verkenningen:
        add(_meer(r.meer_verkenningen, r, "Overzicht"))
    add("")
    add("DATAKWALITEIT")
    if r.datakwaliteit.leeg:
        add("- Alle fiches zijn bijgewerkt en geldig.")
    enkel = {"Ongeldige fiches": "Ongeldig", "Niet bijgewerkt dit kwartaal": "Niet bijgewerkt dit kwartaal",
             "Teams zonder voorzitter": "Zonder voorzitter", "Overige meldingen": "Overig"}
    for titel, lijst in _dk_lijsten(r):
        for naam, uitleg in lijst[:DK_PER_SOORT]:
            add(f"- {enkel[titel]}: {schoon(naam)}: {schoon(uitleg)}")
        if len(lijst) > DK_PER_SOORT:
            add(f"- {enkel[titel]}: nog {len(lijst) - DK_PER_SOORT} (blad Datakwaliteit van het masterwerkboek)")
    add("")
    add("CAPACITEIT")
    c = r.capaciteit
    add(f"- {aantal(c.totaal_personen, 'persoon', 'personen')} in de projectteams, samen "
        f"{uren_nl(c.totaal_uren)} uur per week (norm: voorzitter 3, deelnemer 2 uur).")
    add("Per organisatie:")
    orgs, meer_orgs = _per_organisatie(r)
    for rij in orgs:
        add(f"- {schoon(rij.naam)}: {uren_nl(rij.uren_per_week)} uur per week "
            f"({aantal(rij.personen, 'persoon', 'personen')})")
    if meer_orgs:
        add(_meer(meer_orgs, r, "Capaciteit"))
    add("Per fase:")
    for rij in c.per_fase:
        add(f"- {schoon(rij.naam)}: {uren_nl(rij.uren_per_week)} uur per week "
            f"({aantal(rij.personen, 'persoon', 'personen')})")
    add("")
    add(f"Het masterwerkboek van {datum_nl(r.peildatum)} is bijgevoegd ({master_bestandsnaam(r)}).")
    add("Dit overzicht is automatisch samengesteld door pMIEK Monitor uit de projectfiches.")
    return "\n".join(regels) + "\n"


# --- HTML ------------------------------------------------------------------------------------

def _meer_html(n: int, r: Rapport, blad: str) -> str:
    return _alinea(html.escape(_meer(n, r, blad)), "font-style:italic;color:#444444;")


def html_versie(r: Rapport, tijdlijn_cid: str) -> str:
    """`tijdlijn_cid` without angle brackets."""
    d: list[str] = []
    add = d.append
    add(hoofdtitel(f"pMIEK kwartaaloverzicht {r.kwartaal_label}", "Provincie Drenthe · Energy Board · WIP · pMIEK"))
    add(_alinea(f"Peildatum: <b>{datum_nl(r.peildatum)}</b>", "color:#444444;"))
    add(_alinea(html.escape(AANHEF) + "<br>" + html.escape(INLEIDING)))
    add(kader(f"<b>{_e(r.samenvatting)}</b>"))

    add(_kop("Gevraagd van de Energy Board"))
    if r.gevraagd:
        for e in r.gevraagd:
            p = e.project
            add(_kaart(f"<b>{_e(p.projectnaam)}</b>", p.stoplicht, [
                ("Escalatie", f'<b style="color:#9C0006;">{_e(e.overleg)}</b>'),
                ("Knelpunt", _e(e.knelpunt) if e.knelpunt else "&ndash;"),
                ("Oplossing", _e(e.oplossing) if e.oplossing else "&ndash;"),
                ("Gevraagd", f"<b>{_e(e.gevraagd)}</b>"),
            ]))
        if r.meer_gevraagd:
            add(_meer_html(r.meer_gevraagd, r, "Overzicht"))
    else:
        add(_alinea("Geen escalaties naar de Energy Board of een versnellingsatelier dit kwartaal."))

    add(_kop("Plusprojecten"))
    if r.plusprojecten:
        for rij in r.plusprojecten:
            p = rij.project
            regels = [
                (_venster_woord(p), f"{datum_kort(p.ondergrens)} &ndash; {datum_kort(p.bovengrens)}"),
                ("Prognose", f"<b>{datum_kort(p.prognose)}</b>"
                 + (f" (verschuiving {_slip(rij.slip_dagen)})" if rij.slip_dagen is not None else "")),
                ("Toelichting", _e(_kort(p.toelichting)) if p.toelichting else "&ndash;"),
                ("Knelpunt", _e(rij.knelpunt) if rij.knelpunt else "&ndash;"),
                ("Oplossing", _e(rij.oplossing) if rij.oplossing else "&ndash;"),
            ]
            if _escalatie(p):
                regels.append(("Escalatie", f'<b style="color:#9C0006;">{_e(_escalatie(p))}</b>'))
            add(_kaart(f"<b>{_e(p.projectnaam)}</b>", p.stoplicht, regels))
        if r.meer_plus:
            add(_meer_html(r.meer_plus, r, "Plusprojecten"))
    if r.lijst_plusprojecten:
        add(_alinea(f"<b>{html.escape(_lijst_plus_kop(r))}</b>", "margin:10px 0 0 0;"))
        add(_lijst([f"<b>{_e(lp.project.projectnaam)}</b> ({_e(lp.herkomst)}): {html.escape(lp.ibn)} "
                    f"{_stip(lp.project.stoplicht)}" for lp in r.lijst_plusprojecten]))
        if r.meer_lijst_plus:
            add(_meer_html(r.meer_lijst_plus, r, "Plusprojecten"))
    if not r.plusprojecten and not r.lijst_plusprojecten:
        add(_alinea("Geen plusprojecten dit kwartaal."))

    add(_kop(f"Wijzigingen sinds {r.vorig_kwartaal_label}"))
    items = []
    if r.nieuw_regel:
        items.append(f"<b>Nieuw:</b> {html.escape(r.nieuw_regel)}")
    for regel in r.wijziging_regels:
        items.append(f"<b>{html.escape(regel.soort)}:</b> {_e(regel.project.projectnaam)} &ndash; "
                     f"{html.escape(regel.wat)}")
    add(_lijst(items) if items else _alinea("Geen wijzigingen."))
    if r.meer_wijzigingen:
        add(_meer_html(r.meer_wijzigingen, r, "Overzicht"))

    add(_kop("Tijdlijn"))
    if r.projecten:
        add(_alinea("De projecten hierboven, het ernstigste eerst.", "font-size:13px;color:#444444;"))
    add(f'<img src="cid:{html.escape(tijdlijn_cid)}" width="480" alt="Tijdlijn: IBN-venster per project als balk, '
        f'prognose als ruit, gekleurd naar stoplicht" style="display:block;width:100%;max-width:480px;height:auto;'
        f'border:0;">')

    add(_kop("Stoplichten"))
    # One row per colour, so three columns: it fits a phone (seven columns did not).
    rijen = []
    for st in TELVOLGORDE:
        rij = [_badge(st)]
        for tel in (r.tellingen_concreet, r.tellingen_verkenning):
            nadruk = "font-weight:bold;" if tel[st] else "color:#999999;"
            rij.append(_cel(str(tel[st]), stijl="text-align:center;" + nadruk))
        rijen.append(rij)
    rijen.append([_cel("<b>Totaal</b>"), _cel(f"<b>{r.aantal_concreet}</b>", stijl="text-align:center;"),
                  _cel(f"<b>{r.aantal_verkenning}</b>", stijl="text-align:center;")])
    # Short headers: with words unbreakable, "Verkenningen" beside "Gerealiseerd" made the
    # table 305 px at least, wider than a 320 px phone leaves for it.
    add(_tabel(["Stoplicht", "Concreet", "Verkenning"], rijen))
    lijsten = r.lijsten
    if lijsten is not None and lijsten.per_soort:
        add(_lijst([html.escape(regel) for regel in lijsten.regels()]))
        add(_kop("Projectlijsten netbeheerders"))
        add(_alinea(html.escape(
            f"{aantal(lijsten.aantal_verschoven, 'lijstproject', 'lijstprojecten')} later gepland dan vorig kwartaal; "
            f"{aantal(lijsten.aantal_plus, 'plusproject', 'plusprojecten')} uit de lijsten.")))
        if lijsten.verschoven:
            add(_lijst([_e(lijsten.verschoven_tekst(p, dagen)) for p, dagen in lijsten.verschoven]))
        if lijsten.meer_verschoven:
            add(_meer_html(lijsten.meer_verschoven, r, "Lijstprojecten"))

    add(_kop("Verkenningen"))
    if r.verkenningen:
        for v in r.verkenningen:
            p = v.project
            regels = []
            if p.onderzoeksvraag:
                regels.append(("Onderzoeksvraag", _e(_kort(p.onderzoeksvraag))))
            regels.append(("Oplevering", datum_kort(p.prognose)))
            regels.append(("Mijlpalen gereed", f"{v.mijlpalen_gereed} van de {v.mijlpalen_totaal}"))
            if v.volgende_mijlpaal:
                regels.append(("Volgende mijlpaal", _e(v.volgende_mijlpaal)
                               + (f" ({datum_kort(v.volgende_datum)})" if v.volgende_datum else "")))
            add(_kaart(f"<b>{_e(p.projectnaam)}</b>", p.stoplicht, regels))
        if r.meer_verkenningen:
            add(_meer_html(r.meer_verkenningen, r, "Overzicht"))
    else:
        add(_alinea("Geen verkenningen."))

    add(_kop("Datakwaliteit"))
    if r.datakwaliteit.leeg:
        add(_alinea("Alle fiches zijn bijgewerkt en geldig."))
    for titel, lijst in _dk_lijsten(r):
        if lijst:
            add(_alinea(f"<b>{titel} ({len(lijst)})</b>", "margin-bottom:0;"))
            regels_dk = [f"{_e(naam)}: {_e(uitleg)}" for naam, uitleg in lijst[:DK_PER_SOORT]]
            if len(lijst) > DK_PER_SOORT:
                regels_dk.append(f"<i>en nog {len(lijst) - DK_PER_SOORT} (blad Datakwaliteit van het "
                                 "masterwerkboek)</i>")
            add(_lijst(regels_dk))

    add(_kop("Capaciteit"))
    c = r.capaciteit
    add(_alinea(f"{aantal(c.totaal_personen, 'persoon', 'personen')} in de projectteams, samen "
                f"<b>{uren_nl(c.totaal_uren)} uur per week</b> (norm: voorzitter 3, deelnemer 2 uur per week)."))
    orgs, meer_orgs = _per_organisatie(r)
    if orgs:
        add(_tabel(["Organisatie", "Personen", "Uren per week"],
                   [[_cel(_e(rij.naam)), _cel(str(rij.personen), stijl="text-align:center;"),
                     _cel(uren_nl(rij.uren_per_week), stijl="text-align:right;")] for rij in orgs]))
    if meer_orgs:
        add(_meer_html(meer_orgs, r, "Capaciteit"))
    if c.per_fase:
        add(_tabel(["Fase", "Personen", "Uren per week"],
                   [[_cel(_e(rij.naam)), _cel(str(rij.personen), stijl="text-align:center;"),
                     _cel(uren_nl(rij.uren_per_week), stijl="text-align:right;")] for rij in c.per_fase]))

    add(_alinea(f"Het masterwerkboek van {datum_nl(r.peildatum)} is bijgevoegd "
                f"({html.escape(master_bestandsnaam(r))}).", "margin-top:18px;"))
    add(_alinea("Dit overzicht is automatisch samengesteld door pMIEK Monitor uit de projectfiches.",
                "font-size:12px;color:#666666;"))
    return pagina(f"pMIEK kwartaaloverzicht {r.kwartaal_label}", "".join(d))


# --- the message -----------------------------------------------------------------------------

def bouw_bericht(
    rapport: Rapport,
    tijdlijn_png: bytes,
    master: bytes,
    *,
    afzender: str,
    ontvangers: list[str],
    onderwerp_template: str | None = None,
    message_id: str | None = None,
    datum: dt.datetime | None = None,
) -> EmailMessage:
    """The complete e-mail. `datum` defaults to now (aware)."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = onderwerp(onderwerp_template, rapport)
    msg["From"] = afzender
    msg["To"] = ", ".join(ontvangers)
    msg["Date"] = format_datetime(datum or dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = message_id or nieuw_message_id(rapport.kwartaal, afzender)
    msg["X-Pmiek-Kwartaal"] = rapport.kwartaal
    # RFC 3834: no out-of-office replies back to the service's mailbox.
    msg["Auto-Submitted"] = "auto-generated"

    cid = make_msgid(idstring=f"tijdlijn-{rapport.kwartaal}", domain="pmiek.local")  # "<...>"
    msg.set_content(tekst_versie(rapport), subtype="plain", charset="utf-8")
    msg.add_alternative(html_versie(rapport, cid[1:-1]), subtype="html", charset="utf-8")
    _, html_deel = msg.iter_parts()  # multipart/alternative: the plain text, then the HTML
    html_deel.add_related(tijdlijn_png, maintype="image", subtype="png", cid=cid,
                          disposition="inline", filename=f"tijdlijn-{rapport.kwartaal}.png")
    msg.add_attachment(master, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=master_bestandsnaam(rapport))
    # Only now: set_content() and the make_* conversions drop every Content-* header.
    msg["Content-Language"] = "nl"
    return msg


# --- reading our own message back (transports and previews) ----------------------------------

def onderdelen(msg: EmailMessage) -> dict:
    """The parts a transport needs: text, html, inline images (cid -> (bytes, type, name)),
    attachments [(name, bytes, type)]."""
    tekst = html_tekst = None
    inline: dict[str, tuple[bytes, str, str]] = {}
    bijlagen: list[tuple[str, bytes, str]] = []
    for deel in msg.walk():
        if deel.is_multipart():
            continue
        soort = deel.get_content_type()
        cid = deel.get("Content-ID")
        if soort == "text/plain" and tekst is None and not deel.is_attachment():
            tekst = deel.get_content().replace("\r\n", "\n")
        elif soort == "text/html" and html_tekst is None and not deel.is_attachment():
            html_tekst = deel.get_content().replace("\r\n", "\n")
        elif cid and deel.get_content_disposition() == "inline":
            inline[str(cid).strip().strip("<>")] = (deel.get_content(), soort, deel.get_filename() or "afbeelding")
        else:
            bijlagen.append((deel.get_filename() or "bijlage", deel.get_content(), soort))
    return {"tekst": tekst, "html": html_tekst, "inline": inline, "bijlagen": bijlagen}
