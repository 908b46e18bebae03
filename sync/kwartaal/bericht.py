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
No fiche text ever reaches a header.

Longer than 500 lines because the plain-text and the HTML version are laid out side by side from
the same helpers (window, slip, escalation, the per-section caps): kept in one module, a section
added to one version is seen missing from the other.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from fiche.datums import datum_kort, datum_nl
from fiche.errors import ConfigError
from fiche.stoplicht import TEKSTKLEUREN, Stoplicht
from sync.kwartaal.inhoud import KORT, MAX_DETAILS, TELVOLGORDE, Rapport, aantal

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
STANDAARD_ONDERWERP = "pMIEK kwartaaloverzicht {kwartaal}"
FONT = "font-family:Arial,Helvetica,sans-serif;"
#: C0 controls other than tab and newline are illegal in XML/HTML and can confuse clients.
_CONTROLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def schoon(tekst: object) -> str:
    """Fiche text fit for a plain-text mail: no control characters."""
    return _CONTROLE.sub("", "" if tekst is None else str(tekst))


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
    if not r.plusprojecten:
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

#: Words wrap at word boundaries (a phone must not split "Vergunningprocedure" in two); only a
#: long unbroken token (a formula, a URL) may break anywhere, see `_e`.
WOORDEN = "word-break:normal;overflow-wrap:break-word;"
_BREEK_OVERAL = "overflow-wrap:anywhere;word-break:break-all;"
#: Tokens this long are no words; on a phone they may break anywhere rather than push the column wide.
_LANG_TOKEN = re.compile(r"(\S{24,})")


def _e(tekst: object) -> str:
    """Fiche text fit for HTML: control characters removed, everything escaped, and a long
    unbroken token in a span that may break anywhere (normal words keep word boundaries)."""
    delen = _LANG_TOKEN.split(schoon(tekst))
    return "".join(f'<span style="{_BREEK_OVERAL}">{html.escape(d, quote=True)}</span>' if i % 2
                   else html.escape(d, quote=True) for i, d in enumerate(delen))


def _cel(inhoud: str, *, kop: bool = False, stijl: str = "", colspan: int = 1) -> str:
    tag = "th" if kop else "td"
    basis = (f"{FONT}font-size:13px;line-height:18px;padding:5px 6px;{WOORDEN}"
             "border:1px solid #D0D0D0;vertical-align:top;text-align:left;"
             + ("background-color:#1F4E79;color:#FFFFFF;font-weight:bold;" if kop else ""))
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return f'<{tag}{span} style="{basis}{stijl}">{inhoud}</{tag}>'


# A data table: no role="presentation", so screen readers keep the column headers.
_DATATABEL = ('<table cellpadding="0" cellspacing="0" border="0" width="100%" '
              'style="border-collapse:collapse;width:100%;margin:4px 0 12px 0;">')


def _tabel(koppen: list[str], rijen: list[list[str]]) -> str:
    uit = [_DATATABEL]
    uit.append("<tr>" + "".join(_cel(k, kop=True) for k in koppen) + "</tr>")
    for rij in rijen:
        uit.append("<tr>" + "".join(rij) + "</tr>")
    uit.append("</table>")
    return "".join(uit)


_LABEL = "color:#555555;"


def _kaart(titel: str, stoplicht: Stoplicht, regels: list[tuple[str, str]]) -> str:
    """One project as a small two-column table: its name and stoplicht on top, then label/value
    lines. Four or five columns side by side do not fit a phone; two do. The label column has no
    percentage width: with words unbreakable, such a floor can make the table wider than a phone."""
    uit = [_DATATABEL,
           "<tr>" + _cel(titel, stijl="background-color:#F2F2F2;", colspan=2) + "</tr>",
           "<tr>" + _cel("Stoplicht", stijl=_LABEL) + _badge(stoplicht) + "</tr>"]
    for label, waarde in regels:
        uit.append("<tr>" + _cel(label, stijl=_LABEL) + _cel(waarde) + "</tr>")
    uit.append("</table>")
    return "".join(uit)


def _badge(s: Stoplicht) -> str:
    return _cel(html.escape(s.label),
                stijl=f"background-color:#{s.kleur};color:#{TEKSTKLEUREN[s]};font-weight:bold;")


def _kop(tekst: str) -> str:
    return (f'<h2 style="{FONT}font-size:17px;color:#1F4E79;margin:20px 0 6px 0;border-bottom:2px solid #1F4E79;'
            f'padding-bottom:3px;{WOORDEN}">{html.escape(tekst)}</h2>')


def _alinea(inhoud: str, stijl: str = "") -> str:
    return (f'<p style="{FONT}font-size:14px;line-height:20px;color:#222222;margin:4px 0 8px 0;'
            f'{WOORDEN}{stijl}">{inhoud}</p>')


def _lijst(items: list[str]) -> str:
    if not items:
        return ""
    li = "".join(f'<li style="{FONT}font-size:14px;line-height:20px;margin:2px 0;{WOORDEN}">{i}</li>'
                 for i in items)
    return f'<ul style="margin:2px 0 10px 0;padding-left:22px;">{li}</ul>'


def _meer_html(n: int, r: Rapport, blad: str) -> str:
    return _alinea(html.escape(_meer(n, r, blad)), "font-style:italic;color:#444444;")


def html_versie(r: Rapport, tijdlijn_cid: str) -> str:
    """`tijdlijn_cid` without angle brackets."""
    d: list[str] = []
    add = d.append
    add(f'<div style="{FONT}font-size:11px;color:#666666;margin:0 0 4px 0;">Provincie Drenthe &middot; '
        f'Energy Board &middot; WIP &middot; pMIEK</div>')
    add(f'<h1 style="{FONT}font-size:22px;color:#1F4E79;margin:0 0 4px 0;{WOORDEN}">pMIEK kwartaaloverzicht '
        f'{html.escape(r.kwartaal_label)}</h1>')
    add(_alinea(f"Peildatum: <b>{datum_nl(r.peildatum)}</b>", "color:#444444;"))
    add(_alinea(html.escape(AANHEF) + "<br>" + html.escape(INLEIDING)))
    add('<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" '
        'style="border-collapse:collapse;width:100%;margin:8px 0 4px 0;"><tr>'
        f'<td style="{FONT}font-size:15px;line-height:22px;padding:10px 12px;background-color:#EAF1F8;'
        f'{WOORDEN}'
        f'border-left:4px solid #1F4E79;color:#111111;"><b>{_e(r.samenvatting)}</b></td></tr></table>')

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
    else:
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
    body = "".join(d)
    # One centred column of at most 680 px that narrows to a phone's width. Outlook on Windows
    # (Word's engine) ignores max-width, so a fixed-width table only it sees keeps it at 680.
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pMIEK kwartaaloverzicht {html.escape(r.kwartaal_label)}</title></head>"
        '<body style="margin:0;padding:0;background-color:#F3F3F3;">'
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" '
        'style="border-collapse:collapse;background-color:#F3F3F3;"><tr><td align="center" style="padding:8px 0;">'
        '<!--[if mso]><table role="presentation" cellpadding="0" cellspacing="0" border="0" width="680" '
        'align="center"><tr><td><![endif]-->'
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" '
        'style="border-collapse:collapse;width:100%;max-width:680px;background-color:#FFFFFF;"><tr>'
        f'<td style="padding:14px 12px;{FONT}">{body}</td></tr></table>'
        '<!--[if mso]></td></tr></table><![endif]-->'
        '</td></tr></table></body></html>'
    )


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
