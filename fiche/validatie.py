"""The fiche validator: raw `FicheData` in, a `Beoordeling` out (stoplichten, findings, parsed values).

Pure: no I/O, no clock. "Today" is an argument, so the same fiche gives the same verdict in a
test, on the server and in the add-in. Every rule has a code in `KNOWN_CODES` (with its severity
and what it checks); each finding names the field key, the cell and says in Dutch what to fix.

Field keys of findings: a schema field key (`ibn_prognose`), or `table.column` for a table cell
(`mijlpalen.gepland`), or a table key for a finding about a whole table (`projectteam`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fiche import schema as S
from fiche.datums import DatumFout, add_months, datum_dmj, parse_datum
from fiche.emailadres import email_fout as _email_fout
from fiche.model import Beoordeling, Bevinding, Ernst, FicheData, MijlpaalOordeel, TabelRij
from fiche.stoplicht import (
    NABIJ_MAANDEN_STANDAARD,
    Stoplicht,
    is_groener,
    mijlpaal_stoplicht,
    mijlpaal_vertraging,
    project_stoplicht,
)

#: Every rule: code -> (severity, what it checks). docs/fiche-en-validatie.md shows the same table
#: (tests/test_regeltabel.py).
KNOWN_CODES: dict[str, tuple[Ernst, str]] = {
    "type_onbekend": ("error", "the fiche type (pmiek_fiche_type) is missing, broken (#REF!) or not "
                               "concreet/verkenning; names the name and the cell"),
    "versie_onbekend": ("error", "the template version is missing or not supported; names both versions"),
    "veld_ontbreekt": ("error", "a schema field's defined name is missing or broken in the workbook"),
    "tabel_ontbreekt": ("error", "a schema table (Excel table) is missing in the workbook"),
    "verplicht": ("error", "a required field is empty"),
    "verplicht_kolom": ("error", "a required column is empty in a filled table row"),
    "keuze_ongeldig": ("error", "a value not in the field's choice list (open choice lists accept anything)"),
    "datum_ongeldig": ("error", "text in a date field or column that is not a date (a season, eind maart 2031); "
                               "says what to type instead"),
    "getal_ongeldig": ("error", "a number field holds no number or an implausible one"),
    "venster_omgekeerd": ("error", "ondergrens later than bovengrens"),
    "prognose_ontbreekt": ("error", "no prognose while the IBN/oplevering is not realised"),
    "venster_onbekend": ("warning",
                         "an optional window (verkenning oplevering) not filled in yet: the light is Onbekend"),
    "gerealiseerd_toekomst": ("error", "the realisation date lies after today"),
    "peildatum_toekomst": ("error", "the peildatum lies after today"),
    "peildatum_verouderd": ("warning", "the peildatum is more than two quarters old"),
    "prognose_verlopen": ("warning", "the prognose lies in the past but nothing is realised"),
    "mijlpaal_gereed_toekomst": ("error", "a milestone's gereed date lies after today"),
    "mijlpaal_zonder_prognose": ("warning", "a milestone without prognose and gereed: its light is Onbekend"),
    "mijlpaal_prognose_verlopen": ("warning", "a milestone's prognose lies in the past but it is not gereed"),
    "mijlpaal_datums_onwaarschijnlijk": ("warning", "a milestone's prognose/gereed is more than 10 years off gepland"),
    "handmatig_groener": ("warning", "a hand-set milestone light greener than the computed one, without toelichting"),
    "voorzitter_aantal": ("error", "the projectteam has not exactly one voorzitter"),
    "voorzitter_zonder_email": ("warning", "the voorzitter (contact person) has no e-mail address"),
    "email_ongeldig": ("error", "an e-mail address that is not well formed"),
    "knelpunt_ontbreekt": ("warning", "a red or orange project or milestone without an open knelpunt"),
    "knelpunt_zonder_oplossing": ("warning", "an open knelpunt without an oplossing"),
    "toelichting_ontbreekt": ("warning", "a red or orange project without a toelichting"),
    "prognose_mogelijk_verouderd": ("warning", "a Vertraagd milestone while the project is Op planning"),
    "nabij_ongeldig": ("warning", "the workbook's nabij tolerance is not a whole number of months 0-24"),
}

_KNELPUNT_OPGELOST = "opgelost"
_MAX_AFWIJKING_DAGEN = 3653  # ten years: beyond this a date is a typo, not a plan
_PEILDATUM_MAX_OUDERDOM_MAANDEN = 6
_MAX_UREN = 40.0


def _is_leeg(waarde: Any) -> bool:
    return waarde is None or (isinstance(waarde, str) and not waarde.strip())


def _tekst(waarde: Any) -> str:
    if isinstance(waarde, dt.datetime):
        waarde = waarde.date()
    if isinstance(waarde, dt.date):
        return datum_dmj(waarde)
    if isinstance(waarde, float) and waarde.is_integer():
        return str(int(waarde))
    return " ".join(str(waarde).split())


class _Validatie:
    def __init__(self, data: FicheData, vandaag: dt.date, nabij: int | None) -> None:
        self.data = data
        self.vandaag = vandaag
        self.bevindingen: list[Bevinding] = []
        self.waarden: dict[str, Any] = {}
        self.tabellen: dict[str, list[dict[str, Any]]] = {}
        self.mijlpalen: list[MijlpaalOordeel] = []
        self.nabij_arg = nabij

    def vind(self, code: str, veld: str | None, cel: str | None, melding: str) -> None:
        self.bevindingen.append(Bevinding(KNOWN_CODES[code][0], code, veld, cel, melding))

    # --- values -------------------------------------------------------------------------

    def waarde(self, kind: str, waarde: Any, choices: tuple[str, ...], open_choice: bool, bound: str,
               label: str, veld: str, cel: str | None) -> Any:
        """A raw cell value parsed for its kind; a finding (and None) when it does not fit."""
        if _is_leeg(waarde):
            return None
        if kind == "date":
            try:
                return parse_datum(waarde, bound)  # type: ignore[arg-type]
            except DatumFout as exc:
                self.vind("datum_ongeldig", veld, cel, f"{label}: {exc.melding}")
                return None
        if kind == "choice":
            tekst = _tekst(waarde)
            for keuze in choices:
                if keuze.lower() == tekst.lower():
                    return keuze
            if open_choice:
                return tekst
            self.vind("keuze_ongeldig", veld, cel,
                      f"{label}: '{tekst}' is geen toegestane waarde. Kies uit: {', '.join(choices)}.")
            return None
        if kind == "number":
            getal: float | None
            if isinstance(waarde, bool):
                getal = None
            elif isinstance(waarde, (int, float)):
                getal = float(waarde)
            else:
                try:
                    getal = float(_tekst(waarde).replace(",", "."))
                except ValueError:
                    getal = None
            if getal is None or not 0 < getal <= _MAX_UREN:
                self.vind("getal_ongeldig", veld, cel,
                          f"{label}: '{_tekst(waarde)}' is geen geldig aantal (een getal groter dan 0 en "
                          f"hoogstens {int(_MAX_UREN)}).")
                return None
            return getal
        if kind == "email":
            tekst = _tekst(waarde)
            reden = _email_fout(tekst)
            if reden is not None:
                self.vind("email_ongeldig", veld, cel, f"{label}: '{tekst}' is geen geldig e-mailadres.")
                return None
            return tekst
        return _tekst(waarde)

    # --- the fiche ------------------------------------------------------------------------

    def run(self) -> Beoordeling:
        data = self.data
        schema = S.SCHEMAS.get(data.fiche_type or "")
        if schema is None:
            self.vind("type_onbekend", None, data.type_cel, _type_melding(data))
        ondersteund = ", ".join(S.SUPPORTED_TEMPLATE_VERSIONS)
        if data.template_versie not in S.SUPPORTED_TEMPLATE_VERSIONS:
            bestand = f"versie {data.template_versie}" if data.template_versie else "geen versie"
            self.vind("versie_onbekend", None, None,
                      f"Deze fiche heeft templateversie {bestand}; pMIEK Monitor ondersteunt versie {ondersteund}. "
                      "Neem de gegevens over in het actuele fiche-sjabloon.")
        nabij = self.nabij()
        if schema is None:
            project = data.velden.get("projectnaam")
            return Beoordeling(data.fiche_type, None if _is_leeg(project) else _tekst(project),
                               Stoplicht.ONBEKEND, self.bevindingen)

        for f in schema.fields:
            adres = data.cellen.get(f.key)
            if f.key not in data.cellen:
                self.vind("veld_ontbreekt", f.key, None,
                          f"Het veld '{f.label}' ontbreekt in het werkboek (celnaam {f.name} ontbreekt of is "
                          "verbroken). Gebruik het fiche-sjabloon.")
                self.waarden[f.key] = None
                continue
            self.waarden[f.key] = self.waarde(f.type, data.velden.get(f.key), f.choices, f.open_choice, f.bound,
                                              f.label, f.key, adres)
        lo_k, hi_k, prog_k, real_k = schema.window_keys
        for f in schema.fields:
            if f.required and f.key in data.cellen and _is_leeg(data.velden.get(f.key)) and f.key != prog_k:
                self.vind("verplicht", f.key, data.cellen.get(f.key), f"{f.label} is verplicht; vul dit veld in.")

        for table in schema.tables:
            if table.key not in data.tabellen:
                self.vind("tabel_ontbreekt", table.key, None,
                          f"De tabel '{table.label}' (Excel-tabel {table.name}) ontbreekt in het werkboek. "
                          "Gebruik het fiche-sjabloon.")
                self.tabellen[table.key] = []
                continue
            self.tabellen[table.key] = [self.rij(table, rij) for rij in data.tabellen[table.key]]

        lo, hi, prog, real = (self.waarden.get(k) for k in (lo_k, hi_k, prog_k, real_k))
        w = self.waarden
        cel = data.cellen.get
        label = lambda k: schema.field(k).label  # noqa: E731
        if lo and hi and lo > hi:
            self.vind("venster_omgekeerd", hi_k, cel(hi_k),
                      f"{label(lo_k)} ({datum_dmj(lo)}) ligt na {label(hi_k).lower()} ({datum_dmj(hi)}).")
        if schema.field(prog_k).required:
            if prog_k in data.cellen and _is_leeg(data.velden.get(prog_k)) and real is None:
                self.vind("prognose_ontbreekt", prog_k, cel(prog_k),
                          f"{label(prog_k)} ontbreekt; zonder prognose is het stoplicht Onbekend.")
        elif real is None:
            # A window the schema leaves optional (an early verkenning) may still be unknown: that is
            # Onbekend, worth a warning, but not an invalid fiche.
            leeg = [k for k in (lo_k, hi_k, prog_k) if k in data.cellen and _is_leeg(data.velden.get(k))]
            if leeg:
                self.vind("venster_onbekend", leeg[0], cel(leeg[0]),
                          "Nog niet ingevuld: " + ", ".join(label(k).lower() for k in leeg)
                          + ". Het stoplicht is Onbekend tot deze gegevens bekend zijn.")
        if real is not None and real > self.vandaag:
            self.vind("gerealiseerd_toekomst", real_k, cel(real_k),
                      f"{label(real_k)} ({datum_dmj(real)}) ligt in de toekomst; "
                      "vul deze datum pas in als het zover is.")
        if prog is not None and real is None and prog < self.vandaag:
            self.vind("prognose_verlopen", prog_k, cel(prog_k),
                      f"{label(prog_k)} ({datum_dmj(prog)}) ligt in het verleden, maar er is niets gerealiseerd. "
                      "Werk de prognose bij, of vul de gerealiseerde datum in.")
        peil = w.get("peildatum")
        if peil is not None and peil > self.vandaag:
            self.vind("peildatum_toekomst", "peildatum", cel("peildatum"),
                      f"De peildatum ({datum_dmj(peil)}) ligt in de toekomst (vandaag is {datum_dmj(self.vandaag)}).")
        elif peil is not None and add_months(peil, _PEILDATUM_MAX_OUDERDOM_MAANDEN) < self.vandaag:
            self.vind("peildatum_verouderd", "peildatum", cel("peildatum"),
                      f"De peildatum ({datum_dmj(peil)}) is meer dan twee kwartalen oud; werk de fiche bij.")

        stoplicht = project_stoplicht(prog, lo, hi, real, nabij)
        self.beoordeel_mijlpalen(lo, hi, nabij)
        self.team()
        self.knelpunten(stoplicht)
        if stoplicht in (Stoplicht.RISICO, Stoplicht.VERTRAAGD) and _is_leeg(data.velden.get("toelichting")) \
                and "toelichting" in data.cellen:
            self.vind("toelichting_ontbreekt", "toelichting", cel("toelichting"),
                      f"Het project staat op {stoplicht.label}; licht in 'Toelichting stoplicht' de "
                      "aandachtspunten en risico's toe.")
        if stoplicht is Stoplicht.OP_PLANNING:
            for m in self.mijlpalen:
                if m.stoplicht is Stoplicht.VERTRAAGD:
                    self.vind("prognose_mogelijk_verouderd", prog_k, cel(prog_k),
                              f"Mijlpaal '{m.mijlpaal or m.nummer}' is Vertraagd, maar het project staat Op planning: "
                              f"is {label(prog_k).lower()} nog actueel?")
                    break
        project = w.get("projectnaam")
        return Beoordeling(data.fiche_type, project, stoplicht, self.bevindingen, self.waarden, self.tabellen,
                           self.mijlpalen)

    def nabij(self) -> int:
        if self.nabij_arg is not None:
            return self.nabij_arg
        n = self.data.nabij_maanden
        if n is None:
            return NABIJ_MAANDEN_STANDAARD
        if not 0 <= n <= 24:
            self.vind("nabij_ongeldig", S.NAAM_NABIJ_MAANDEN, None,
                      f"De tolerantie 'nabij ondergrens' ({n} maanden) is ongeldig; de standaard van "
                      f"{NABIJ_MAANDEN_STANDAARD} maanden is gebruikt.")
            return NABIJ_MAANDEN_STANDAARD
        return n

    def rij(self, table: S.Table, rij: TabelRij) -> dict[str, Any]:
        uit: dict[str, Any] = {"_rij": rij.nummer}
        for col in table.columns:
            veld = f"{table.key}.{col.key}"
            cel = rij.cellen.get(col.key)
            waarde = rij.waarden.get(col.key)
            if col.type == "derived":
                continue
            label = f"{table.label}, rij {rij.nummer}, {col.label}"
            if col.required and _is_leeg(waarde):
                self.vind("verplicht_kolom", veld, cel, f"{label} is verplicht; vul deze kolom in.")
            uit[col.key] = self.waarde(col.type, waarde, col.choices, col.open_choice, col.bound, label, veld, cel)
        if table.key == "projectteam" and uit.get("uren_per_week") is None:
            uit["uren_per_week"] = S.UREN_NORM.get(uit.get("rol") or "", None)
        return uit

    # --- tables ---------------------------------------------------------------------------

    def beoordeel_mijlpalen(self, lo: dt.date | None, hi: dt.date | None, nabij: int) -> None:
        rijen = self.data.tabellen.get("mijlpalen", [])
        for rij, waarden in zip(rijen, self.tabellen.get("mijlpalen", [])):
            naam = waarden.get("mijlpaal") or f"rij {rij.nummer}"
            gepland, prognose, gereed = waarden.get("gepland"), waarden.get("prognose"), waarden.get("gereed")
            cel = rij.cellen.get
            if gereed is not None and gereed > self.vandaag:
                self.vind("mijlpaal_gereed_toekomst", "mijlpalen.gereed", cel("gereed"),
                          f"Mijlpaal '{naam}': gereed ({datum_dmj(gereed)}) ligt in de toekomst. Vul een "
                          "verwachte datum in bij Prognose.")
            if prognose is None and gereed is None and _is_leeg(rij.waarden.get("prognose")) \
                    and _is_leeg(rij.waarden.get("gereed")):
                self.vind("mijlpaal_zonder_prognose", "mijlpalen.prognose", cel("prognose"),
                          f"Mijlpaal '{naam}' heeft geen prognose en geen gereed-datum; het stoplicht is Onbekend.")
            if prognose is not None and gereed is None and prognose < self.vandaag:
                self.vind("mijlpaal_prognose_verlopen", "mijlpalen.prognose", cel("prognose"),
                          f"Mijlpaal '{naam}': de prognose ({datum_dmj(prognose)}) ligt in het verleden maar de "
                          "mijlpaal is niet gereed. Werk de prognose bij of vul Gereed in.")
            vertraging = mijlpaal_vertraging(gepland, prognose, gereed)
            actueel = gereed or prognose
            # A delay is only known with both dates; the explicit checks say so to the type checker.
            if vertraging is not None and actueel is not None and gepland is not None \
                    and abs(vertraging) > _MAX_AFWIJKING_DAGEN:
                k = "gereed" if gereed else "prognose"
                self.vind("mijlpaal_datums_onwaarschijnlijk", f"mijlpalen.{k}", cel(k),
                          f"Mijlpaal '{naam}': {k} ({datum_dmj(actueel)}) ligt meer dan tien jaar van "
                          f"gepland ({datum_dmj(gepland)}); controleer de datums.")
            berekend = mijlpaal_stoplicht(gepland, prognose, gereed, lo, hi, nabij)
            handmatig = Stoplicht.van_label(waarden.get("stoplicht_handmatig"))
            if handmatig is not None and is_groener(handmatig, berekend) and _is_leeg(waarden.get("toelichting")):
                self.vind("handmatig_groener", "mijlpalen.stoplicht_handmatig", cel("stoplicht_handmatig"),
                          f"Mijlpaal '{naam}': het handmatige stoplicht ({handmatig.label}) is gunstiger dan het "
                          f"berekende ({berekend.label}). Licht dit toe in de kolom Toelichting.")
            getoond = handmatig or berekend
            waarden["stoplicht_berekend"] = berekend
            waarden["stoplicht"] = getoond
            self.mijlpalen.append(MijlpaalOordeel(
                nummer=rij.nummer, mijlpaal=waarden.get("mijlpaal"), gepland=gepland, prognose=prognose,
                gereed=gereed, berekend=berekend, stoplicht=getoond, vertraging_dagen=vertraging,
                cel=cel("stoplicht"),
            ))

    def team(self) -> None:
        if "projectteam" not in self.data.tabellen:
            return
        rijen = self.data.tabellen["projectteam"]
        voorzitters = [(r, w) for r, w in zip(rijen, self.tabellen["projectteam"]) if w.get("rol") == "Voorzitter"]
        if len(voorzitters) != 1:
            if voorzitters:
                cel = voorzitters[1][0].cellen.get("rol")
                melding = (f"Het projectteam heeft {len(voorzitters)} voorzitters ("
                           + ", ".join(str(w.get('naam')) for _, w in voorzitters) + "); er is er precies één.")
            else:
                cel = rijen[0].cellen.get("rol") if rijen else None
                melding = "Het projectteam heeft geen voorzitter; wijs precies één voorzitter aan (rol Voorzitter)."
            self.vind("voorzitter_aantal", "projectteam.rol", cel, melding)
        for rij, w in voorzitters[:1]:
            if _is_leeg(rij.waarden.get("email")):
                self.vind("voorzitter_zonder_email", "projectteam.email", rij.cellen.get("email"),
                          f"De voorzitter ({w.get('naam')}) is de contactpersoon maar heeft geen e-mailadres.")

    def knelpunten(self, stoplicht: Stoplicht) -> None:
        if "knelpunten" not in self.data.tabellen:
            return
        open_rijen = [(r, w) for r, w in zip(self.data.tabellen["knelpunten"], self.tabellen["knelpunten"])
                      if (w.get("status") or "").lower() != _KNELPUNT_OPGELOST]
        for rij, w in open_rijen:
            if _is_leeg(w.get("oplossing")):
                self.vind("knelpunt_zonder_oplossing", "knelpunten.oplossing", rij.cellen.get("oplossing"),
                          f"Knelpunt '{_kort(w.get('knelpunt'))}' heeft nog geen oplossing; beschrijf de aanpak.")
        if open_rijen:
            return
        rood_oranje = (Stoplicht.RISICO, Stoplicht.VERTRAAGD)
        if stoplicht in rood_oranje:
            self.vind("knelpunt_ontbreekt", "knelpunten", self.data.stoplicht_cel,
                      f"Het project staat op {stoplicht.label}, maar er is geen open knelpunt. Benoem in de tabel "
                      "Knelpunten wat de vertraging veroorzaakt en de oplossing.")
            return
        for m in self.mijlpalen:
            if m.stoplicht in rood_oranje:
                self.vind("knelpunt_ontbreekt", "knelpunten", m.cel,
                          f"Mijlpaal '{m.mijlpaal or m.nummer}' staat op {m.stoplicht.label}, maar er is geen open "
                          "knelpunt. Benoem in de tabel Knelpunten de oorzaak en de oplossing.")


#: Where the template keeps the fiche type: the help column C of the sheet Fiche (fiche.template;
#: tests/test_validatie.py holds the two together).
TYPE_CEL_SJABLOON = "Fiche!C2"


def _type_melding(data: FicheData) -> str:
    """Why the fiche type is unknown, naming the defined name and the cell that broke, and what
    to do. Deleting the help column C (or row 2) of the sheet Fiche turns the name into #REF!."""
    naam, verwacht = S.NAAM_FICHE_TYPE, " of ".join(f"'{t}'" for t in S.FICHE_TYPES)
    # The field names still tell which type this fiche is (the reader looked up both types').
    passend = [t for t, schema in S.SCHEMAS.items() if all(f.key in data.cellen for f in schema.fields)]
    typ = f"'{passend[0]}'" if len(passend) == 1 else verwacht
    beheer = "Formules > Namen beheren"
    if data.type_verwijzing is None:
        return (f"Het fichetype ontbreekt: het werkboek heeft geen celnaam {naam}. "
                "Neem de gegevens over in het actuele fiche-sjabloon.")
    if data.type_cel is None:
        if "#REF" in data.type_verwijzing.upper():
            return (f"Het fichetype is niet te lezen: de celnaam {naam} verwijst naar '{data.type_verwijzing}', "
                    f"een cel die niet meer bestaat (in het fiche-sjabloon cel {TYPE_CEL_SJABLOON}, in de "
                    "hulpkolom). Waarschijnlijk is die kolom of rij verwijderd. Maak het verwijderen ongedaan, of "
                    f"typ {typ} in een lege cel en laat de celnaam {naam} daarnaar verwijzen ({beheer}).")
        return (f"Het fichetype is niet te lezen: de celnaam {naam} verwijst naar '{data.type_verwijzing}', "
                f"geen losse cel van dit werkboek. Laat de celnaam naar één cel met {typ} verwijzen (in het "
                f"fiche-sjabloon cel {TYPE_CEL_SJABLOON}; {beheer}).")
    if data.fiche_type is None:
        probleem = f"Het fichetype ontbreekt: cel {data.type_cel} (celnaam {naam}) is leeg."
    else:
        probleem = (f"Onbekend fichetype '{data.fiche_type}' in cel {data.type_cel} (celnaam {naam}); verwacht "
                    f"{verwacht}.")
    if data.type_cel == TYPE_CEL_SJABLOON:
        return f"{probleem} Typ daar {typ}."
    return (f"{probleem} In het fiche-sjabloon staat het fichetype in cel {TYPE_CEL_SJABLOON}: laat de celnaam "
            f"daarnaar verwijzen ({beheer}), of typ {typ} in cel {data.type_cel}.")


def _kort(tekst: Any, n: int = 40) -> str:
    t = _tekst(tekst) if tekst is not None else ""
    return t if len(t) <= n else t[: n - 1] + "…"


def valideer(data: FicheData, vandaag: dt.date | None = None, nabij_maanden: int | None = None) -> Beoordeling:
    """Judge one fiche. `vandaag` defaults to today's date (pass it to get a reproducible verdict);
    the nabij tolerance is `nabij_maanden`, else the workbook's own, else the default quarter."""
    return _Validatie(data, vandaag or dt.date.today(), nabij_maanden).run()
