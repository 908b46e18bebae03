"""Builds the portfolio snapshot (`sync.overzicht.Overzicht`) for any peildatum from the store.

"As of a date" means: the versions whose source modification time lies on or before the end of
that day in the configured time zone (`sync.timezone`). Per file the last accepted version counts; a newer refused or
unreadable version keeps the older valid one in the overview and adds a Datakwaliteit entry. Two
files claiming one project are flagged and not merged: the most recently changed one counts.
Trend and slip compare with the state at the end of the previous quarter; the history holds
the light per project at the end of every quarter. The project lists' rows (IP, MS-T, pMIEK 1.0)
join from `sync.lijsten.venster`: a fiche that names an IP code shows that row with it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from fiche.datums import dag_einde, datum_dmj, kwartaal, kwartaal_begin, lokale_datum, volgend_kwartaal_begin
from fiche.schema import energiecluster, schema_for
from fiche.stoplicht import NABIJ_MAANDEN_STANDAARD, Stoplicht
from sync.config import STANDAARD_TIJDZONE
from sync.lijsten.venster import TOLERANTIE_STANDAARD, imports_tussen, lijst_standen, voeg_lijsten_toe
from sync.overzicht import PROJECTSOORTEN, DatakwaliteitMelding, Overzicht, ProjectStand
from sync.regels import project_meldingen, sorteer_meldingen
from sync.store import (
    STATUS_GEACCEPTEERD,
    STATUS_GEWEIGERD,
    STATUS_ONLEESBAAR,
    STATUS_VERWIJDERD,
    FicheVersie,
    Store,
    loads,
)
from sync.uitvraag.stand import uitvraag_stand


@dataclass
class _Versie:
    id: int
    bron_id: int
    item_id: str
    naam: str
    link: str | None
    status: str
    gewijzigd: dt.datetime
    project_sleutel: str | None
    projectnaam: str | None
    fiche_type: str | None
    fiche_peildatum: dt.date | None
    stoplicht: str | None
    melding: str | None
    bevindingen: str


@dataclass
class _Bestandstand:
    """One file as of a moment: its last version and its last accepted one."""

    laatste: _Versie
    geldig: _Versie | None


class OverzichtBouwer:
    """Loads the version index once; answers "state as of" for many moments cheaply."""

    def __init__(self, store: Store, tijdzone: str = STANDAARD_TIJDZONE,
                 tolerantie_maanden: int = TOLERANTIE_STANDAARD, nabij_maanden: int = NABIJ_MAANDEN_STANDAARD) -> None:
        self.store = store
        self.tolerantie_maanden, self.nabij_maanden = tolerantie_maanden, nabij_maanden
        self.tijdzone = tijdzone
        self.tz = ZoneInfo(tijdzone)
        with store.session() as s:
            rows = s.execute(select(
                FicheVersie.id, FicheVersie.bron_id, FicheVersie.item_id, FicheVersie.naam, FicheVersie.link,
                FicheVersie.status, FicheVersie.gewijzigd, FicheVersie.project_sleutel, FicheVersie.projectnaam,
                FicheVersie.fiche_type, FicheVersie.fiche_peildatum, FicheVersie.stoplicht, FicheVersie.melding,
                FicheVersie.bevindingen,
            ).order_by(FicheVersie.id)).all()
        self.per_bestand: dict[tuple[int, str], list[_Versie]] = defaultdict(list)
        for r in rows:
            # The select lists _Versie's fields in order; a Row's length is unknown to the type checker.
            self.per_bestand[(r.bron_id, r.item_id)].append(_Versie(*r))  # type: ignore[call-arg]
        self._beoordelingen: dict[int, dict[str, Any]] = {}

    def eerste_moment(self) -> dt.datetime | None:
        momenten = [v.gewijzigd for vs in self.per_bestand.values() for v in vs]
        return min(momenten) if momenten else None

    def laad_beoordelingen(self, versie_ids) -> None:
        """Fetch these versions' verdicts in a few queries instead of one per version (each
        query is a round trip to a database server)."""
        nodig = sorted({i for i in versie_ids if i not in self._beoordelingen})
        with self.store.session() as s:
            for begin in range(0, len(nodig), 500):
                for versie_id, tekst in s.execute(select(FicheVersie.id, FicheVersie.beoordeling).where(
                        FicheVersie.id.in_(nodig[begin:begin + 500]))):
                    self._beoordelingen[versie_id] = loads(tekst) or {}

    def _beoordeling(self, versie_id: int) -> dict[str, Any]:
        if versie_id not in self._beoordelingen:
            self.laad_beoordelingen([versie_id])
        return self._beoordelingen.setdefault(versie_id, {})

    def stand(self, moment: dt.datetime) -> dict[tuple[int, str], _Bestandstand]:
        """Per file: its versions up to `moment` (ingest order breaks ties)."""
        uit = {}
        for sleutel, versies in self.per_bestand.items():
            tot = [v for v in versies if v.gewijzigd <= moment]
            if not tot:
                continue
            geldig = None
            for v in reversed(tot):
                if v.status == STATUS_GEACCEPTEERD:
                    geldig = v
                    break
            uit[sleutel] = _Bestandstand(tot[-1], geldig)
        return uit

    def gekozen(self, stand: dict[tuple[int, str], _Bestandstand]
                ) -> tuple[dict[str, _Versie], dict[str, list[_Versie]]]:
        """The version that counts per project, and per project every live claimant (for "dubbel")."""
        claims: dict[str, list[_Versie]] = defaultdict(list)
        for b in stand.values():
            if b.laatste.status == STATUS_VERWIJDERD or b.geldig is None or not b.geldig.project_sleutel:
                continue
            claims[b.geldig.project_sleutel].append(b.geldig)
        gekozen = {}
        for sleutel, vs in claims.items():
            # The most recently changed file counts; the ingest order breaks a tie.
            vs.sort(key=lambda v: (v.gewijzigd, v.id), reverse=True)
            gekozen[sleutel] = vs[0]
        return gekozen, claims

    def project_stand(self, v: _Versie, laatste: _Versie) -> ProjectStand:
        b = self._beoordeling(v.id)
        w: dict[str, Any] = b.get("waarden") or {}
        fiche_type = b.get("fiche_type") or v.fiche_type or "concreet"
        lo_k, hi_k, prog_k, real_k = schema_for(fiche_type).window_keys
        tabellen = b.get("tabellen") or {}
        oordelen = {m.get("nummer"): m for m in b.get("mijlpalen") or []}
        mijlpalen = []
        for i, rij in enumerate(tabellen.get("mijlpalen") or [], start=1):
            m = dict(rij)
            o = oordelen.get(i)
            if o is not None:
                m["stoplicht"] = Stoplicht(o["stoplicht"])
                m["berekend"] = Stoplicht(o["berekend"])
                m["vertraging_dagen"] = o.get("vertraging_dagen")
            mijlpalen.append(m)
        team = []
        for rij in tabellen.get("projectteam") or []:
            team.append({"naam": rij.get("naam"), "organisatie": rij.get("organisatie"), "rol": rij.get("rol"),
                         "email": rij.get("email"), "uren": rij.get("uren_per_week")})
        gemeente = w.get("gemeente")
        return ProjectStand(
            sleutel=v.project_sleutel or "",
            fiche_type=fiche_type,
            projectnaam=w.get("projectnaam") or v.projectnaam or v.naam,
            drager=w.get("drager"),
            gemeente=gemeente,
            energiecluster=energiecluster(gemeente),
            netbeheerder=w.get("netbeheerder"),
            fase_netbeheerder=w.get("fase_netbeheerder"),
            fase_overheid=w.get("fase_overheid"),
            ondergrens=_datum(w.get(lo_k)),
            bovengrens=_datum(w.get(hi_k)),
            prognose=_datum(w.get(prog_k)),
            gerealiseerd=_datum(w.get(real_k)),
            stoplicht=Stoplicht(b.get("stoplicht") or v.stoplicht or Stoplicht.ONBEKEND.value),
            escalatie=w.get("escalatie"),
            toelichting=w.get("toelichting"),
            fiche_peildatum=_datum(w.get("peildatum")) or v.fiche_peildatum,
            versie_ontvangen=v.gewijzigd,
            bron_id=v.item_id,
            bron_naam=v.naam,
            link=v.link,
            onderzoeksvraag=w.get("onderzoeksvraag"),
            afhankelijkheden_infra=w.get("afhankelijkheden_infra"),
            afhankelijkheden_sectoraal=w.get("afhankelijkheden_sectoraal"),
            afhankelijkheden_buiten_provincie=w.get("afhankelijkheden_buiten_provincie"),
            afhankelijkheden=w.get("afhankelijkheden"),
            uitvoeringsafspraken=w.get("uitvoeringsafspraken"),
            investeringsplannen=w.get("investeringsplannen"),
            nieuwere_versie_ongeldig=laatste.id != v.id and laatste.status in (STATUS_GEWEIGERD, STATUS_ONLEESBAAR),
            mijlpalen=mijlpalen,
            knelpunten=[dict(k) for k in tabellen.get("knelpunten") or []],
            projectteam=team,
        )

    def overzicht(self, peildatum: dt.date, gegenereerd: dt.datetime | None = None) -> Overzicht:
        moment = dag_einde(peildatum, self.tz)
        stand = self.stand(moment)
        gekozen, claims = self.gekozen(stand)
        laatste_per_versie = {b.geldig.id: b.laatste for b in stand.values() if b.geldig is not None}

        vorig_moment = dag_einde(kwartaal_begin(peildatum) - dt.timedelta(days=1), self.tz)
        vorig, _ = self.gekozen(self.stand(vorig_moment))
        self.laad_beoordelingen([v.id for v in gekozen.values()]
                                + [vorig[k].id for k in gekozen if k in vorig])

        projecten = []
        for sleutel, v in gekozen.items():
            p = self.project_stand(v, laatste_per_versie[v.id])
            if sleutel in vorig:
                pv = vorig[sleutel]
                p.vorig_stoplicht = Stoplicht(pv.stoplicht) if pv.stoplicht else Stoplicht.ONBEKEND
                bv = self._beoordeling(pv.id)
                prog_k = schema_for(bv.get("fiche_type") or "concreet").window_keys[2]
                p.vorige_prognose = _datum((bv.get("waarden") or {}).get(prog_k))
            projecten.append(p)
        # The list projects (IP, MS-T, pMIEK 1.0) join, a fiche that names its IP code with its row.
        vorige_dag = kwartaal_begin(peildatum) - dt.timedelta(days=1)
        standen = lijst_standen(self.store, peildatum)
        vorige_standen = lijst_standen(self.store, vorige_dag) if imports_tussen(
            self.store, vorige_dag, peildatum) else standen
        projecten, lijst_meldingen = voeg_lijsten_toe(projecten, standen, vorige_standen, self.tolerantie_maanden,
                                                      self.nabij_maanden)
        volgorde = list(PROJECTSOORTEN)
        projecten.sort(key=lambda p: (volgorde.index(p.fiche_type) if p.fiche_type in volgorde else len(volgorde),
                                      p.projectnaam.lower()))

        return Overzicht(
            peildatum=peildatum,
            gegenereerd=gegenereerd or dt.datetime.now(dt.timezone.utc),
            projecten=projecten,
            datakwaliteit=self._datakwaliteit(peildatum, stand, gekozen, claims, projecten, lijst_meldingen),
            historie=self._historie(peildatum),
            tijdzone=self.tijdzone,
            tolerantie_maanden=self.tolerantie_maanden,
            uitvraag=uitvraag_stand(self, kwartaal(peildatum), moment),
        )

    def _datakwaliteit(self, peildatum, stand, gekozen, claims, projecten,
                       lijst_meldingen=()) -> list[DatakwaliteitMelding]:
        meldingen: list[DatakwaliteitMelding] = list(lijst_meldingen)
        kw_begin = kwartaal_begin(peildatum)
        for b in stand.values():
            laatste = b.laatste
            if laatste.status in (STATUS_GEWEIGERD, STATUS_ONLEESBAAR):
                if laatste.status == STATUS_GEWEIGERD:
                    fouten = [f for f in loads(laatste.bevindingen) or [] if f.get("severity") == "error"]
                    tekst = "Nieuwe versie afgekeurd: " + " ".join(f["message"] for f in fouten[:3])
                    if len(fouten) > 3:
                        tekst += f" (en nog {len(fouten) - 3} fouten)"
                else:
                    tekst = "Bestand is geen leesbare fiche en is overgeslagen: " + (laatste.melding or "")
                # The version the overview shows for this project: this file's last valid one, or
                # another file's when that one counts (the project is in the overview all the same).
                sleutel = (b.geldig.project_sleutel if b.geldig else None) or laatste.project_sleutel
                telt = gekozen.get(sleutel) if sleutel else None
                if telt is not None and telt.bron_id == laatste.bron_id and telt.item_id == laatste.item_id:
                    tekst += f" Het overzicht toont de laatste geldige versie van dit bestand, van {self._van(telt)}."
                elif telt is not None:
                    tekst += (f" Het project staat wel in het overzicht, met '{telt.naam}' (versie van "
                              f"{self._van(telt)}).")
                elif b.geldig is not None:
                    tekst += f" Het overzicht toont de laatste geldige versie van {self._van(b.geldig)}."
                else:
                    tekst += " Er is nog geen geldige versie; het project staat niet in het overzicht."
                project = laatste.projectnaam or (b.geldig.projectnaam if b.geldig else None)
                meldingen.append(DatakwaliteitMelding(
                    "ongeldig" if laatste.status == STATUS_GEWEIGERD else "onleesbaar", laatste.naam, tekst,
                    project=project, sinds=laatste.gewijzigd, bron_id=laatste.item_id, link=laatste.link))
                if telt is not None and b.geldig is None:
                    # A second file claiming a project the overview already shows is a duplicate even
                    # when invalid (a valid second file is among the claims below).
                    meldingen.append(DatakwaliteitMelding(
                        "dubbel", laatste.naam,
                        f"'{laatste.naam}' claimt ook project '{telt.projectnaam}', dat in het overzicht staat "
                        f"met '{telt.naam}' (versie van {self._van(telt)}). Alleen '{telt.naam}' telt mee; "
                        "verwijder het dubbele bestand of voeg de twee samen.",
                        project=telt.projectnaam, sinds=laatste.gewijzigd, bron_id=laatste.item_id,
                        link=laatste.link))
            elif laatste.status == STATUS_VERWIJDERD \
                    and laatste.gewijzigd >= dag_einde(kw_begin - dt.timedelta(days=1), self.tz):
                # A deletion is news in the quarter it happened; a project another file still
                # describes did not disappear.
                sleutel = b.geldig.project_sleutel if b.geldig else None
                if sleutel and sleutel in gekozen:
                    continue
                meldingen.append(DatakwaliteitMelding(
                    "verwijderd", laatste.naam,
                    "Fiche verwijderd uit de bron; het project staat niet meer in het overzicht.",
                    project=b.geldig.projectnaam if b.geldig else None, sinds=laatste.gewijzigd,
                    bron_id=laatste.item_id, link=laatste.link))
        for vs in claims.values():
            if len(vs) < 2:
                continue
            namen = " en ".join(f"'{v.naam}'" for v in vs)
            for v in vs[1:]:
                meldingen.append(DatakwaliteitMelding(
                    "dubbel", v.naam,
                    f"{len(vs)} bestanden claimen project '{vs[0].projectnaam}': {namen}. "
                    f"Alleen '{vs[0].naam}' (het laatst gewijzigd) telt mee.",
                    project=vs[0].projectnaam, sinds=v.gewijzigd, bron_id=v.item_id, link=v.link))
        meldingen += project_meldingen(projecten, kw_begin)
        return sorteer_meldingen(meldingen)

    def _van(self, v: _Versie) -> str:
        """The day a version was changed, as the Datakwaliteit texts name it (d-m-jjjj)."""
        return datum_dmj(lokale_datum(v.gewijzigd, self.tz))

    def _historie(self, peildatum: dt.date) -> dict[str, dict[str, Stoplicht]]:
        eerste = self.eerste_moment()
        historie: dict[str, dict[str, Stoplicht]] = defaultdict(dict)
        if eerste is None:
            return {}
        dag = kwartaal_begin(lokale_datum(eerste, self.tz))
        while dag <= peildatum:
            volgend = volgend_kwartaal_begin(dag)
            einde = min(volgend - dt.timedelta(days=1), peildatum)
            gekozen, _ = self.gekozen(self.stand(dag_einde(einde, self.tz)))
            for sleutel, v in gekozen.items():
                historie[sleutel][kwartaal(einde)] = Stoplicht(v.stoplicht) if v.stoplicht else Stoplicht.ONBEKEND
            dag = volgend
        return dict(historie)


def _datum(waarde: Any) -> dt.date | None:
    if isinstance(waarde, dt.datetime):
        return waarde.date()
    if isinstance(waarde, dt.date):
        return waarde
    return None


def bouw_overzicht(store: Store, peildatum: dt.date, gegenereerd: dt.datetime | None = None,
                   tijdzone: str = STANDAARD_TIJDZONE, tolerantie_maanden: int = TOLERANTIE_STANDAARD,
                   nabij_maanden: int = NABIJ_MAANDEN_STANDAARD) -> Overzicht:
    """The snapshot as of `peildatum` (a day in `tijdzone`, the configured `sync.timezone`), from
    the store alone; list projects judged with `tolerantie_maanden` (`[lijsten]`) and `nabij_maanden`."""
    return OverzichtBouwer(store, tijdzone, tolerantie_maanden, nabij_maanden).overzicht(peildatum, gegenereerd)
