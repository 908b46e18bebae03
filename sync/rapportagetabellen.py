"""Fills the reporting tables behind the SQL views (`sync.rapportage_schema`) from a snapshot.

Every sync run calls `ververs_rapportage` with the `Overzicht` it just built, so the views show
what the master workbook shows, computed by the same code: the rows come from the snapshot's own
rules (`ProjectStand`, `sync.regels.capaciteit`) and the master's row builders
(`sync.master.bladen.mijlpalen_rijen`, `afhankelijkheden_tekst`); nothing is judged again in SQL.

The tables are replaced in one transaction, so a reader (Power BI refreshing mid-run) sees the
previous snapshot or the new one, never half of each. A fingerprint of the rows (and of the
frozen quarters) is kept: a run whose rows equal the stored ones writes nothing.

History per quarter (`rapport_historie`): for a quarter that was sent to the Energy Board, the
projects of its frozen snapshot (`kwartaal_snapshots`: what the Board was shown, with prognose,
fase and plusproject; `vastgelegd` true); for every other quarter the stoplicht per project at
the quarter's end as the snapshot's `historie` computes it from the versions (`vastgelegd` false).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from fiche.datums import kwartaal_grenzen, kwartaal_sorteersleutel
from fiche.stoplicht import Stoplicht
from sync import rapportage_schema as rs
from sync.master.bladen import TREND_LABEL, TYPE_LABEL, afhankelijkheden_tekst, mijlpalen_rijen
from sync.master.cellen import SCORE
from sync.overzicht import Overzicht, ProjectStand, organisatie, rangorde
from sync.overzicht_json import overzicht_van_json
from sync.regels import Capaciteit, capaciteit
from sync.store import STATUS_GEACCEPTEERD, FicheVersie, Store, kwartaal_snapshots

log = logging.getLogger("pmiek.sync.rapportagetabellen")

Rij = dict[str, Any]


def _tekst(waarde: Any) -> str | None:
    """A fiche value as text for a text column (a number typed in a text field stays readable)."""
    if waarde is None:
        return None
    tekst = waarde if isinstance(waarde, str) else str(waarde)
    return tekst if tekst.strip() else None


def _utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC, as the store keeps its times."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _score(licht: Stoplicht | None) -> int | None:
    return SCORE.get(licht) if licht is not None else None


def _type(p: ProjectStand) -> str:
    return TYPE_LABEL.get(p.fiche_type, p.fiche_type)


# --- rows from one snapshot ---------------------------------------------------------------------

def project_rijen(overzicht: Overzicht, cap: Capaciteit | None = None) -> list[Rij]:
    uren: dict[str, float] = defaultdict(float)  # the project's share of the capacity (0: realised)
    for inzet in (cap or capaciteit(overzicht.projecten)).per_project:
        uren[inzet.project.sleutel] += inzet.uren_per_week
    uit = []
    for volgorde, p in enumerate(sorted(overzicht.projecten, key=rangorde), start=1):
        voorzitter = p.voorzitter
        hoofd = p.hoofdknelpunt
        uit.append({
            "project_code": p.sleutel, "volgorde": volgorde, "projectnaam": p.projectnaam, "projecttype": _type(p),
            "drager": _tekst(p.drager), "gemeente": _tekst(p.gemeente), "energiecluster": _tekst(p.energiecluster),
            "netbeheerder": _tekst(p.netbeheerder), "fase": p.fase, "fase_netbeheerder": _tekst(p.fase_netbeheerder),
            "fase_overheid": _tekst(p.fase_overheid), "stoplicht": p.stoplicht.value,
            "stoplicht_score": _score(p.stoplicht),
            "vorig_stoplicht": p.vorig_stoplicht.value if p.vorig_stoplicht is not None else None,
            "trend": TREND_LABEL.get(p.trend, p.trend),
            "ibn_ondergrens": p.ondergrens, "ibn_bovengrens": p.bovengrens, "prognose_ibn": p.prognose,
            "ibn_gerealiseerd": p.gerealiseerd, "vorige_prognose_ibn": p.vorige_prognose,
            "verschuiving_dagen": p.slip_dagen, "plusproject": p.is_plusproject, "escalatie": _tekst(p.escalatie),
            "geescaleerd": p.is_geescaleerd, "open_knelpunten": p.open_knelpunten,
            "hoofdknelpunt": _tekst(hoofd.get("knelpunt")) if hoofd else None,
            "uren_per_week": uren[p.sleutel],
            "voorzitter": _tekst(voorzitter.get("naam")) if voorzitter else None,
            "voorzitter_organisatie": organisatie(voorzitter) if voorzitter else None,
            "voorzitter_email": _tekst(voorzitter.get("email")) if voorzitter else None,
            "fiche_peildatum": p.fiche_peildatum, "verouderd": p.is_verouderd(overzicht.kwartaal_begin),
            "nieuwere_versie_ongeldig": p.nieuwere_versie_ongeldig, "versie_van": _utc(p.versie_ontvangen),
            "bestandsnaam": p.bron_naam, "link": p.link, "toelichting": _tekst(p.toelichting),
            "onderzoeksvraag": _tekst(p.onderzoeksvraag), "afhankelijkheden": afhankelijkheden_tekst(p),
            "uitvoeringsafspraken": _tekst(p.uitvoeringsafspraken), "soort": p.soort,
            "bron": _tekst(p.lijst.bron) if p.lijst is not None else None,
        })
    return uit


def mijlpaal_rijen(overzicht: Overzicht) -> list[Rij]:
    # The Mijlpalen sheet's own rows: [type, nr, mijlpaal, fase, actiehouder, gepland, prognose,
    # gereed, vertraging, stoplicht, score-stoplicht, "Ja" when set by hand, toelichting].
    rijen, _ = mijlpalen_rijen(sorted(overzicht.projecten, key=rangorde))
    uit = []
    for p, (type_, nr, naam, fase, actiehouder, gepland, prognose, gereed, vertraging, licht, _score_licht,
            handmatig, toelichting) in rijen:
        uit.append({
            "project_code": p.sleutel, "volgnummer": nr, "projectnaam": p.projectnaam, "projecttype": type_,
            "mijlpaal": _tekst(naam), "fase": _tekst(fase), "actiehouder": _tekst(actiehouder), "gepland": gepland,
            "prognose": prognose, "gereed": gereed, "vertraging_dagen": vertraging, "stoplicht": licht.value,
            "stoplicht_score": _score(licht), "stoplicht_handmatig": handmatig is not None,
            "toelichting": _tekst(toelichting),
        })
    return uit


def knelpunt_rijen(overzicht: Overzicht) -> list[Rij]:
    uit = []
    for p in sorted(overzicht.projecten, key=rangorde):
        for nr, k in enumerate(p.knelpunten, start=1):
            uit.append({
                "project_code": p.sleutel, "volgnummer": nr, "projectnaam": p.projectnaam, "projecttype": _type(p),
                "project_stoplicht": p.stoplicht.value, "knelpunt": _tekst(k.get("knelpunt")),
                "oplossing": _tekst(k.get("oplossing")), "eigenaar": _tekst(k.get("eigenaar")),
                "status": _tekst(k.get("status")) or "Open", "escalatie": _tekst(p.escalatie),
            })
    return uit


def capaciteit_rijen(overzicht: Overzicht, cap: Capaciteit | None = None) -> list[Rij]:
    return [{
        "organisatie": r.organisatie, "project_code": r.project.sleutel, "projectnaam": r.project.projectnaam,
        "projecttype": _type(r.project), "fase": r.fase, "stoplicht": r.project.stoplicht.value,
        "voorzitters": r.voorzitters, "deelnemers": r.deelnemers, "personen": len(r.personen),
        "uren_per_week": r.uren_per_week,
    } for r in (cap or capaciteit(overzicht.projecten)).per_project]


def berekende_historie(overzicht: Overzicht, namen: dict[str, str]) -> list[Rij]:
    """The stoplicht per project at each quarter's end (the current quarter: at the peildatum)."""
    uit = []
    eindes: dict[str, dt.date] = {}
    for sleutel, per_kwartaal in overzicht.historie.items():
        for kw, licht in per_kwartaal.items():
            einde = eindes.get(kw) or eindes.setdefault(kw, kwartaal_grenzen(kw)[1])
            uit.append({
                "kwartaal": kw, "project_code": sleutel, "kwartaal_einde": einde,
                "peildatum": min(einde, overzicht.peildatum), "projectnaam": namen.get(sleutel),
                "stoplicht": licht.value, "stoplicht_score": _score(licht), "vastgelegd": False,
                "fase": None, "prognose_ibn": None, "plusproject": None,
            })
    return uit


def vastgelegde_historie(kw: str, bevroren: Overzicht) -> list[Rij]:
    """A sent quarter as its frozen snapshot told the Energy Board."""
    return [{
        "kwartaal": kw, "project_code": p.sleutel, "kwartaal_einde": kwartaal_grenzen(kw)[1],
        "peildatum": bevroren.peildatum, "projectnaam": p.projectnaam, "stoplicht": p.stoplicht.value,
        "stoplicht_score": _score(p.stoplicht), "vastgelegd": True, "fase": p.fase, "prognose_ibn": p.prognose,
        "plusproject": p.is_plusproject,
    } for p in bevroren.projecten]


# --- the refresh ----------------------------------------------------------------------------------

def _namen(store: Store, overzicht: Overzicht) -> dict[str, str]:
    """Project names for the history: today's, else the last accepted version's (a project gone since)."""
    namen = {p.sleutel: p.projectnaam for p in overzicht.projecten}
    weg = [k for k in overzicht.historie if k not in namen]
    if weg:
        with store.session() as s:
            for sleutel, naam in s.execute(
                    select(FicheVersie.project_sleutel, FicheVersie.projectnaam)
                    .where(FicheVersie.status == STATUS_GEACCEPTEERD, FicheVersie.project_sleutel.in_(weg))
                    .order_by(FicheVersie.id)):
                if sleutel and naam:
                    namen[sleutel] = naam
    return namen


def _vingerafdruk(delen: Any) -> str:
    # repr: the rows hold only text, numbers, dates and None, built in a fixed key order.
    return hashlib.sha256(repr(delen).encode()).hexdigest()


def _alle_rijen(store: Store, overzicht: Overzicht) -> tuple[dict[Any, list[Rij]], list[Rij]]:
    cap = capaciteit(overzicht.projecten)
    rijen: dict[Any, list[Rij]] = {
        rs.projecten: project_rijen(overzicht, cap), rs.mijlpalen: mijlpaal_rijen(overzicht),
        rs.knelpunten: knelpunt_rijen(overzicht), rs.capaciteit: capaciteit_rijen(overzicht, cap),
    }
    return rijen, berekende_historie(overzicht, _namen(store, overzicht))


def ververs_rapportage(store: Store, overzicht: Overzicht, run_id: int | None = None,
                       overzicht_vingerafdruk: str | None = None) -> bool:
    """Replace the reporting tables with `overzicht`'s rows; False when they already hold them.

    A caller that already has a fingerprint of the snapshot (its content and peildatum) passes it
    as `overzicht_vingerafdruk`: an unchanged snapshot then costs one query, not building the rows
    (a few tenths of a second for 1,000 projects) to compare them."""
    with store.engine.connect() as conn:
        ks = kwartaal_snapshots.c
        vastgelegd = [(r.kwartaal, r.gemaakt.isoformat())
                      for r in conn.execute(select(ks.kwartaal, ks.gemaakt).order_by(ks.kwartaal))]
        vorige = conn.execute(select(rs.verversing.c.vingerafdruk)).scalar()
    if overzicht_vingerafdruk is not None:
        vinger = _vingerafdruk(["overzicht", overzicht_vingerafdruk, vastgelegd])
        if vinger == vorige:
            return False
    rijen, historie = _alle_rijen(store, overzicht)
    if overzicht_vingerafdruk is None:
        vinger = _vingerafdruk([overzicht.peildatum, {t.name: r for t, r in rijen.items()}, historie, vastgelegd])
        if vinger == vorige:
            log.debug("reporting tables unchanged", extra={"fields": {"peildatum": overzicht.peildatum.isoformat()}})
            return False
    rijen[rs.historie] = _historie(store.engine, historie, [kw for kw, _ in vastgelegd])
    with store.engine.begin() as conn:
        for tabel in (rs.verversing, *rijen):
            conn.execute(delete(tabel))
        for tabel, lijst in rijen.items():
            if lijst:
                conn.execute(insert(tabel), lijst)
        conn.execute(insert(rs.verversing).values(
            id=1, peildatum=overzicht.peildatum, kwartaal=overzicht.kwartaal, run_id=run_id,
            bijgewerkt=_utc(dt.datetime.now(dt.timezone.utc)), vingerafdruk=vinger))
    log.info("reporting tables refreshed", extra={"fields": {
        "peildatum": overzicht.peildatum.isoformat(), "projects": len(rijen[rs.projecten]),
        "history_rows": len(rijen[rs.historie])}})
    return True


def _historie(engine: Engine, berekend: list[Rij], kwartalen: list[str]) -> list[Rij]:
    """The computed history with every sent quarter replaced by its frozen snapshot."""
    if not kwartalen:
        return sorted(berekend, key=lambda r: (kwartaal_sorteersleutel(r["kwartaal"]), r["project_code"]))
    uit = [r for r in berekend if r["kwartaal"] not in kwartalen]
    with engine.connect() as conn:
        for kw, tekst in conn.execute(select(kwartaal_snapshots.c.kwartaal, kwartaal_snapshots.c.overzicht)):
            uit += vastgelegde_historie(kw, overzicht_van_json(tekst))
    return sorted(uit, key=lambda r: (kwartaal_sorteersleutel(r["kwartaal"]), r["project_code"]))


# --- the read-only role ---------------------------------------------------------------------------

def maak_leesrol(engine: Engine, rol: str, wachtwoord: str | None = None) -> list[str]:
    """Create (or bring up to date) a PostgreSQL role that can read the views and nothing else;
    with `wachtwoord` it can log in. Returns the statements run (the password left out)."""
    from psycopg import sql

    database = engine.url.database or ""
    statements = rs.leesrol_sql(rol, database)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        if wachtwoord is not None:
            raw: Any = conn.connection.driver_connection  # same transaction; no parameters: "%" stays itself
            with raw.cursor() as cur:
                cur.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(rol),
                                                                               sql.Literal(wachtwoord)))
            statements = [*statements, f"ALTER ROLE {rol} LOGIN PASSWORD '...'"]
    log.info("read-only role granted", extra={"fields": {"role": rol, "database": database}})
    return statements
