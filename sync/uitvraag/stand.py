"""Per project in a round: whom to ask, what to tell them, and whether they delivered.

The projects of a round are those of the portfolio snapshot at the moment (`OverzichtBouwer`:
per project the version that counts), except the realised ones (nothing left to report). Per project:
- the voorzitter (the team's one "Voorzitter" row) and the other members' addresses (for cc);
- the current stoplicht and the open findings of the latest validation of its fiche (the latest
  version of the file, accepted or refused);
- the link to open the fiche: the SharePoint web URL the source reported, or the file's path for
  a folder source;
- delivered: an accepted version of its file modified since the round opened (`gestart`), and
  the latest version not refused. A refused newest version means "not (validly) delivered".

`uitvraag_stand` is what the master sheet "Stand uitvraag" and `pmiek status` show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.engine import Engine

from fiche.emailadres import email_fout
from fiche.stoplicht import Stoplicht
from sync.overzicht import ProjectStand, UitvraagRij, UitvraagStand, is_voorzitter
from sync.store import STATUS_GEACCEPTEERD, STATUS_GEWEIGERD, STATUS_ONLEESBAAR, loads
from sync.uitvraag.kalender import VERZOEK, is_herinnering
from sync.uitvraag.tabellen import uitvraag_berichten, uitvraag_rondes

VERZONDEN, VERZENDEN, MISLUKT, CONTROLEREN, OVERGESLAGEN = (
    "verzonden", "verzenden", "mislukt", "controleren", "overgeslagen")


def geldig_adres(adres: Any) -> str | None:
    """A fiche's e-mail cell as an address fit for a header, or None."""
    if not isinstance(adres, str):
        return None
    adres = adres.strip()
    return adres if adres and email_fout(adres) is None else None


def fiche_link(link: str | None) -> tuple[str | None, str | None]:
    """(text to show, URL to link) for a version's link: a web URL as it is; a file URI as its path."""
    if not link:
        return None, None
    if link.lower().startswith("file://"):
        return unquote(urlsplit(link).path), link
    return link, link


@dataclass
class ProjectUitvraag:
    """One project as the round's e-mails describe it."""

    stand: ProjectStand
    fiche_naam: str
    bevindingen: list[dict[str, Any]]  # the latest validation's findings (severity, message, cell)
    laatste_geweigerd: bool  # the newest version of the fiche was refused or unreadable
    geleverd_op: dt.datetime | None  # last accepted version since the round opened
    voorzitter_naam: str | None = None
    voorzitter_email: str | None = None
    cc: list[str] = field(default_factory=list)

    @property
    def sleutel(self) -> str:
        return self.stand.sleutel

    @property
    def projectnaam(self) -> str:
        return self.stand.projectnaam

    @property
    def stoplicht(self) -> Stoplicht:
        return self.stand.stoplicht

    @property
    def geleverd(self) -> bool:
        """Delivered in this round, and validly."""
        return self.geleverd_op is not None and not self.laatste_geweigerd

    @property
    def link(self) -> tuple[str | None, str | None]:
        return fiche_link(self.stand.link)

    @property
    def zonder_voorzitter(self) -> str | None:
        """Dutch reason why the request goes to the project leader instead, or None."""
        if self.stand.voorzitter is None:
            n = self.stand.aantal_voorzitters
            return "het projectteam heeft geen voorzitter" if n == 0 else f"het projectteam heeft {n} voorzitters"
        if self.voorzitter_email is None:
            return "de voorzitter heeft geen (geldig) e-mailadres in de fiche"
        return None


def projecten(bouwer: Any, moment: dt.datetime, gestart: dt.datetime | None) -> list[ProjectUitvraag]:
    """The round's projects as of `moment` (`bouwer`: a `sync.overzicht_bouw.OverzichtBouwer`,
    passed in so this module and the overview builder do not import each other)."""
    stand = bouwer.stand(moment)
    gekozen, _ = bouwer.gekozen(stand)
    uit = []
    for sleutel in sorted(gekozen, key=lambda k: (gekozen[k].projectnaam or k).lower()):
        v = gekozen[sleutel]
        bestand = stand[(v.bron_id, v.item_id)]
        laatste = bestand.laatste
        ps = bouwer.project_stand(v, laatste)
        if ps.stoplicht is Stoplicht.GEREALISEERD:
            continue  # taken into use: nothing left to report (as `ProjectStand.is_verouderd` says)
        geleverd = None
        if gestart is not None:
            momenten = [w.gewijzigd for w in bouwer.per_bestand[(v.bron_id, v.item_id)]
                        if w.status == STATUS_GEACCEPTEERD and gestart <= w.gewijzigd <= moment]
            geleverd = max(momenten) if momenten else None
        p = ProjectUitvraag(stand=ps, fiche_naam=v.naam, bevindingen=list(loads(laatste.bevindingen) or []),
                            laatste_geweigerd=laatste.status in (STATUS_GEWEIGERD, STATUS_ONLEESBAAR),
                            geleverd_op=geleverd)
        voorzitter = ps.voorzitter
        if voorzitter is not None:
            p.voorzitter_naam = (voorzitter.get("naam") or "").strip() or None
            p.voorzitter_email = geldig_adres(voorzitter.get("email"))
        gezien = {(p.voorzitter_email or "").lower()}
        for lid in ps.projectteam:
            adres = geldig_adres(lid.get("email"))
            if adres and not is_voorzitter(lid) and adres.lower() not in gezien:
                gezien.add(adres.lower())
                p.cc.append(adres)
        uit.append(p)
    return uit


# --- the records ---------------------------------------------------------------------------------

def ronde(engine: Engine, code: str) -> dict | None:
    with engine.connect() as conn:
        rij = conn.execute(select(uitvraag_rondes).where(uitvraag_rondes.c.ronde == code)).first()
    return dict(rij._mapping) if rij else None


def berichten(engine: Engine, code: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(uitvraag_berichten).where(uitvraag_berichten.c.ronde == code).order_by(uitvraag_berichten.c.id))]


def _opmerking(p: ProjectUitvraag, rijen: list[dict]) -> str | None:
    for r in rijen:
        if r["status"] == CONTROLEREN:
            return ("Verzending onzeker: controleer de ontvangst, dan 'pmiek uitvraag --mark-sent' of "
                    "'--resend-uncertain'")
        if r["status"] == MISLUKT:
            return "Verzenden mislukt; wordt opnieuw geprobeerd"
        if r["status"] == OVERGESLAGEN:
            return r["melding"] or "Afgemeld (opt-out)"
    if p.zonder_voorzitter:
        return f"Gemeld aan de projectleider: {p.zonder_voorzitter}"
    if p.laatste_geweigerd:
        return "Nieuwste versie afgekeurd"
    return None


def stand_rijen(p_lijst: list[ProjectUitvraag], records: list[dict]) -> list[UitvraagRij]:
    per_project: dict[str, list[dict]] = {}
    for r in records:
        per_project.setdefault(r["project"], []).append(r)
    uit = []
    for p in p_lijst:
        rijen = per_project.get(p.sleutel, [])
        verzoek = next((r for r in rijen if r["soort"] == VERZOEK and r["status"] == VERZONDEN), None)
        herinneringen = [r["bijgewerkt"] for r in rijen if is_herinnering(r["soort"]) and r["status"] == VERZONDEN]
        uit.append(UitvraagRij(
            projectnaam=p.projectnaam, voorzitter=p.voorzitter_naam, email=p.voorzitter_email,
            gevraagd=verzoek["bijgewerkt"] if verzoek else None,
            herinnerd=max(herinneringen) if herinneringen else None,
            geleverd_op=p.geleverd_op,
            # "nee" as soon as the newest version is refused; "ja" for a valid delivery in the round.
            geldig=False if p.laatste_geweigerd else (True if p.geleverd_op is not None else None),
            opmerking=_opmerking(p, rijen),
        ))
    return uit


def uitvraag_stand(bouwer: Any, kwartaal: str, moment: dt.datetime) -> UitvraagStand | None:
    """The round of `kwartaal` as of `moment`; None when it was never opened."""
    engine = bouwer.store.engine
    r = ronde(engine, kwartaal)
    if r is None or r["gestart"] > moment:
        return None
    p_lijst = projecten(bouwer, moment, r["gestart"])
    return UitvraagStand(ronde=kwartaal, deadline=r["deadline"], gestart=r["gestart"],
                         rijen=stand_rijen(p_lijst, berichten(engine, kwartaal)))


def laatste_ronde(engine: Engine) -> dict | None:
    """The most recently opened real round (test-mode rounds left out)."""
    with engine.connect() as conn:
        rij = conn.execute(select(uitvraag_rondes).where(uitvraag_rondes.c.test.is_(False))
                           .order_by(uitvraag_rondes.c.gestart.desc()).limit(1)).first()
    return dict(rij._mapping) if rij else None


def _dag(moment: dt.datetime | None, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d-%m-%Y") if moment else "-"


def status_regels(bouwer: Any, moment: dt.datetime) -> tuple[list[str], bool]:
    """Dutch lines for `pmiek status` about the latest round, and whether one needs attention
    (a message that failed or must be checked)."""
    from fiche.datums import datum_nl

    r = laatste_ronde(bouwer.store.engine)
    if r is None:
        return [], False
    stand = uitvraag_stand(bouwer, r["ronde"], moment)
    if stand is None:
        return [], False
    tz = bouwer.tz
    geleverd = sum(1 for x in stand.rijen if x.geleverd)
    regels = [f"Uitvraag {stand.ronde} (deadline {datum_nl(stand.deadline)}, gestart {_dag(stand.gestart, tz)}): "
              f"{geleverd} van de {len(stand.rijen)} projecten geleverd"]
    for x in stand.rijen:
        geldig = "-" if x.geldig is None else ("ja" if x.geldig else "nee")
        regels.append(f"- {x.projectnaam}: voorzitter {x.voorzitter or '-'}; gevraagd {_dag(x.gevraagd, tz)}, "
                      f"herinnerd {_dag(x.herinnerd, tz)}, geleverd {_dag(x.geleverd_op, tz)}, geldig {geldig}"
                      + (f" ({x.opmerking})" if x.opmerking else ""))
    aandacht = any(b["status"] in (MISLUKT, CONTROLEREN) for b in berichten(bouwer.store.engine, stand.ronde))
    for b in berichten(bouwer.store.engine, stand.ronde):
        if b["status"] in (MISLUKT, CONTROLEREN) and b["melding"]:
            regels.append(f"    {b['soort']} {b['projectnaam'] or 'projectleider'}: {b['melding']}")
    return regels, aandacht
