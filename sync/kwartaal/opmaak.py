"""The layout parts every e-mail of pMIEK Monitor shares: the quarterly overview
(`sync.kwartaal.bericht`) and the uitvraag round's requests (`sync.uitvraag.bericht`).

Outlook-safe HTML: tables and inline styles only, no external images or style sheets, one
centred column of at most 680 px that narrows to a phone's width. Every text that comes from a
fiche passes through `e` (control characters removed, HTML escaped), so `<script>` stays text.
"""

from __future__ import annotations

import html
import re

from fiche.stoplicht import TEKSTKLEUREN, Stoplicht

FONT = "font-family:Arial,Helvetica,sans-serif;"
#: C0 controls other than tab and newline are illegal in XML/HTML and can confuse clients.
_CONTROLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Words wrap at word boundaries (a phone must not split "Vergunningprocedure" in two); only a
#: long unbroken token (a formula, a URL) may break anywhere, see `e`.
WOORDEN = "word-break:normal;overflow-wrap:break-word;"
_BREEK_OVERAL = "overflow-wrap:anywhere;word-break:break-all;"
#: Tokens this long are no words; on a phone they may break anywhere rather than push the column wide.
_LANG_TOKEN = re.compile(r"(\S{24,})")
LABEL = "color:#555555;"
# A data table: no role="presentation", so screen readers keep the column headers.
DATATABEL = ('<table cellpadding="0" cellspacing="0" border="0" width="100%" '
             'style="border-collapse:collapse;width:100%;margin:4px 0 12px 0;">')


def schoon(tekst: object) -> str:
    """Fiche text fit for a plain-text mail: no control characters."""
    return _CONTROLE.sub("", "" if tekst is None else str(tekst))


def e(tekst: object) -> str:
    """Fiche text fit for HTML: control characters removed, everything escaped, and a long
    unbroken token in a span that may break anywhere (normal words keep word boundaries)."""
    delen = _LANG_TOKEN.split(schoon(tekst))
    return "".join(f'<span style="{_BREEK_OVERAL}">{html.escape(d, quote=True)}</span>' if i % 2
                   else html.escape(d, quote=True) for i, d in enumerate(delen))


def cel(inhoud: str, *, kop: bool = False, stijl: str = "", colspan: int = 1) -> str:
    tag = "th" if kop else "td"
    basis = (f"{FONT}font-size:13px;line-height:18px;padding:5px 6px;{WOORDEN}"
             "border:1px solid #D0D0D0;vertical-align:top;text-align:left;"
             + ("background-color:#1F4E79;color:#FFFFFF;font-weight:bold;" if kop else ""))
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return f'<{tag}{span} style="{basis}{stijl}">{inhoud}</{tag}>'


def tabel(koppen: list[str], rijen: list[list[str]]) -> str:
    uit = [DATATABEL]
    uit.append("<tr>" + "".join(cel(k, kop=True) for k in koppen) + "</tr>")
    for rij in rijen:
        uit.append("<tr>" + "".join(rij) + "</tr>")
    uit.append("</table>")
    return "".join(uit)


def badge(s: Stoplicht) -> str:
    return cel(html.escape(s.label), stijl=f"background-color:#{s.kleur};color:#{TEKSTKLEUREN[s]};font-weight:bold;")


def stip(s: Stoplicht) -> str:
    """The stoplicht as a small coloured label inside running text (a list line, not a table)."""
    return (f'<span style="background-color:#{s.kleur};color:#{TEKSTKLEUREN[s]};font-weight:bold;'
            f'padding:0 4px;">{html.escape(s.label)}</span>')


def kaart(titel: str, stoplicht: Stoplicht | None, regels: list[tuple[str, str]]) -> str:
    """One project as a small two-column table: its name (and stoplicht) on top, then label/value
    lines. Four or five columns side by side do not fit a phone; two do. The label column has no
    percentage width: with words unbreakable, such a floor can make the table wider than a phone."""
    uit = [DATATABEL, "<tr>" + cel(titel, stijl="background-color:#F2F2F2;", colspan=2) + "</tr>"]
    if stoplicht is not None:
        uit.append("<tr>" + cel("Stoplicht", stijl=LABEL) + badge(stoplicht) + "</tr>")
    for label, waarde in regels:
        uit.append("<tr>" + cel(label, stijl=LABEL) + cel(waarde) + "</tr>")
    uit.append("</table>")
    return "".join(uit)


def kop(tekst: str) -> str:
    return (f'<h2 style="{FONT}font-size:17px;color:#1F4E79;margin:20px 0 6px 0;border-bottom:2px solid #1F4E79;'
            f'padding-bottom:3px;{WOORDEN}">{html.escape(tekst)}</h2>')


def hoofdtitel(tekst: str, bovenregel: str) -> str:
    """The small line above the title and the title itself (both escaped here)."""
    return (f'<div style="{FONT}font-size:11px;color:#666666;margin:0 0 4px 0;">{html.escape(bovenregel)}</div>'
            f'<h1 style="{FONT}font-size:22px;color:#1F4E79;margin:0 0 4px 0;{WOORDEN}">{html.escape(tekst)}</h1>')


def alinea(inhoud: str, stijl: str = "") -> str:
    return (f'<p style="{FONT}font-size:14px;line-height:20px;color:#222222;margin:4px 0 8px 0;'
            f'{WOORDEN}{stijl}">{inhoud}</p>')


def kader(inhoud: str) -> str:
    """A highlighted block (the summary line, a deadline)."""
    return ('<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" '
            'style="border-collapse:collapse;width:100%;margin:8px 0 4px 0;"><tr>'
            f'<td style="{FONT}font-size:15px;line-height:22px;padding:10px 12px;background-color:#EAF1F8;'
            f'{WOORDEN}border-left:4px solid #1F4E79;color:#111111;">{inhoud}</td></tr></table>')


def lijst(items: list[str]) -> str:
    if not items:
        return ""
    li = "".join(f'<li style="{FONT}font-size:14px;line-height:20px;margin:2px 0;{WOORDEN}">{i}</li>'
                 for i in items)
    return f'<ul style="margin:2px 0 10px 0;padding-left:22px;">{li}</ul>'


def link(url: str, tekst: str | None = None) -> str:
    """A link only for http(s) and file URLs (anything else is shown as text)."""
    zichtbaar = e(tekst if tekst is not None else url)
    if not re.match(r"(?i)^(https?|file)://", url or ""):
        return zichtbaar
    return f'<a href="{html.escape(url, quote=True)}" style="color:#1F4E79;{_BREEK_OVERAL}">{zichtbaar}</a>'


def pagina(titel_tekst: str, body: str) -> str:
    """The whole HTML document around `body`. Outlook on Windows (Word's engine) ignores
    max-width, so a fixed-width table only it sees keeps it at 680."""
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(titel_tekst)}</title></head>"
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
