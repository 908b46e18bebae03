"""The fiche schema: the single machine-readable source of truth for both fiche types.

Templates, reader, validator, add-in and master workbook all take field keys, Dutch labels,
help texts (the seed's "rode tekst"), types, choices and the workbook's defined names from
here. `schema_dict()` is what `pmiek schema --json` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCHEMA_VERSION = "1.0"
#: Template versions this code can read. A fiche stamped with another version is refused by
#: the validator with a message naming both.
SUPPORTED_TEMPLATE_VERSIONS = ("1.0",)
TEMPLATE_VERSION = "1.0"

FicheType = Literal["concreet", "verkenning"]
FICHE_TYPES: tuple[FicheType, ...] = ("concreet", "verkenning")

#: Defined names every fiche workbook carries besides the fields.
NAAM_FICHE_TYPE = "pmiek_fiche_type"
NAAM_TEMPLATE_VERSIE = "pmiek_template_versie"
NAAM_NABIJ_MAANDEN = "pmiek_nabij_maanden"
NAAM_STOPLICHT = "pmiek_stoplicht"

FieldKind = Literal["text", "longtext", "date", "choice", "number", "email", "derived"]

FASEN = ("Verkenningsfase", "Projectfase", "Planuitwerkfase", "Realisatiefase")
DRAGERS = ("Elektriciteit", "Waterstof", "Warmte", "Groen gas", "Overig")
ENERGIECLUSTERS: dict[str, str] = {
    "Tynaarlo": "A", "Assen": "A", "Noordenveld": "A", "Midden-Drenthe": "A",
    "Borger-Odoorn": "B", "Aa en Hunze": "B",
    "Emmen": "C", "Coevorden": "C",
    "Meppel": "D", "Hoogeveen": "D", "De Wolden": "D", "Westerveld": "D",
}
#: Projects of provincial scope (an exploration for the whole province) have no single gemeente.
MEERDERE_GEMEENTEN = "Meerdere gemeenten"
GEMEENTEN = tuple(ENERGIECLUSTERS) + (MEERDERE_GEMEENTEN,)
NETBEHEERDERS = ("Enexis", "TenneT", "RENDO", "Gasunie", "Enexis / TenneT", "Geen")
ESCALATIES = ("Geen", "WKI", "Energy Board", "Versnellingsatelier")
ACTIEHOUDERS = ("Bevoegd gezag", "Netbeheerder", "Gemeente", "Provincie", "Meerdere partijen")
HANDMATIGE_STOPLICHTEN = ("Op planning", "Risico op vertraging", "Vertraagd")
KNELPUNT_STATUSSEN = ("Open", "In behandeling", "Opgelost")
TEAMROLLEN = ("Voorzitter", "Deelnemer")
#: Norm effort per team member in hours per week (Uitvoeringsagenda, section 5.1).
UREN_NORM = {"Voorzitter": 3.0, "Deelnemer": 2.0}
PARTIJROLLEN = ("Initiatiefnemer", "Investeerder", "Belanghebbende", "Bevoegd gezag", "Uitvoerder", "Adviseur")
PMIEK_OPNAME = ("Ja, stond in pMIEK 2.0", "Nee, nieuw project")
IP_OPNAME = ("Ja", "Nee", "Nog onbekend")


def energiecluster(gemeente: str | None) -> str | None:
    """Cluster letter A-D for one of the 12 gemeenten; None otherwise."""
    return ENERGIECLUSTERS.get(gemeente or "")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: FieldKind
    help: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    #: A choice list that also accepts free text (e.g. a netbeheerder not in the list).
    open_choice: bool = False
    #: For dates: a bare year or quarter means its first ("begin") or last ("eind") day.
    bound: Literal["begin", "eind"] = "begin"

    @property
    def name(self) -> str:
        """Workbook-scoped defined name of the input cell."""
        return f"pmiek_{self.key}"

    def as_dict(self) -> dict:
        return {
            "key": self.key, "label": self.label, "help": self.help, "type": self.type,
            "required": self.required, "name": self.name, "choices": list(self.choices),
            "open_choice": self.open_choice,
        }


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: FieldKind
    required: bool = False
    choices: tuple[str, ...] = ()
    open_choice: bool = False
    help: str = ""
    bound: Literal["begin", "eind"] = "begin"
    width: int = 16

    def as_dict(self) -> dict:
        return {
            "key": self.key, "label": self.label, "type": self.type, "required": self.required,
            "choices": list(self.choices), "open_choice": self.open_choice, "help": self.help,
        }


@dataclass(frozen=True)
class Table:
    key: str
    label: str
    columns: tuple[Column, ...]
    help: str = ""
    #: Empty rows the template offers (the Excel table grows when a user types below it).
    rows: int = 15

    @property
    def name(self) -> str:
        """Excel table name (ListObject)."""
        return "tbl_" + self.key

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "name": self.name, "help": self.help,
                "columns": [c.as_dict() for c in self.columns]}


@dataclass(frozen=True)
class FicheSchema:
    fiche_type: FicheType
    title: str
    fields: tuple[Field, ...]
    tables: tuple[Table, ...]

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def has_field(self, key: str) -> bool:
        return any(f.key == key for f in self.fields)

    @property
    def window_keys(self) -> tuple[str, str, str, str]:
        """(ondergrens, bovengrens, prognose, gerealiseerd) keys of the window the light is about."""
        prefix = "ibn" if self.fiche_type == "concreet" else "oplevering"
        return (f"{prefix}_ondergrens", f"{prefix}_bovengrens", f"{prefix}_prognose", f"{prefix}_gerealiseerd")

    def as_dict(self) -> dict:
        return {"title": self.title, "fields": [f.as_dict() for f in self.fields],
                "tables": [t.as_dict() for t in self.tables]}


# --- Help texts: the seed's "rode tekst" (Bijlage Projectenformat) ---------------------------

H_PROJECTNAAM = ("Naam van project die zoveel mogelijk voor zichzelf spreekt, met een korte beschrijving. "
                 "Bijv. 'Waterstofbackbone Regio A' of 'Verzwaring middenspanningstracé gemeente A - gemeente B'.")
H_OMSCHRIJVING = "Korte beschrijving project."
H_REDE = ("Argumenten waarom project is geselecteerd. Beschrijf welke maatschappelijke ontwikkelingen "
          "mogelijk worden gemaakt met dit project.")
H_LOCATIE = ("Duiding van gebied/locatie, zo specifiek mogelijk. Bijv. 'uitbreiding van een bestaand station', "
             "of 'bouw van een geheel nieuw station', of 'x-aantal km leiding'.")
H_TYPE_INFRA = ("Steekwoorden die type benodigde infrastructuur beschrijven (bijvoorbeeld uitbreiding bestaand "
                "elektriciteitsstation), inclusief ordegrootte.")
H_BEVOEGD_GEZAG = "Aangeven wie bevoegd gezag is/gaat zijn."
H_PMIEK = "Stond het project al in het pMIEK 2.0 of is het een nieuw project?"
H_PLANNING = ("Indicatie van oplevering, detailniveau afhankelijk van fase project (periode van jaren/jaartal/"
              "kwartaal/ingebruikname datum). Opsomming van te doorlopen fasen voor de netbeheerder en voor de "
              "overheid.")
H_IP = ("Voor welke IP van welke netbeheerder(s) is dit project bedoeld? 2026 of 2028 of later? En zit het project "
        "al in het IP2024 van de netbeheerder? Zo ja, codering toevoegen.")
H_FASE = ("In welke fase zit het project bij het maken van dit fiche, zowel bij netbeheerder als provincie/gemeente. "
          "Deze projectfase is de basis voor de monitoring.")
H_AFH_INFRA = ("Beschrijving van afhankelijkheden van (of samenhang met) andere infrastructuurprojecten (zowel "
               "provinciaal als nationaal en lokaal). Denk bijvoorbeeld ook aan elektriciteitsinfrastructuur die "
               "mogelijk voor warmtenetten of CO2-transport nodig is.")
H_AFH_SECTOR = ("Hangt het project af van ontwikkelingen in sectoren zoals industrie, mobiliteit, gebouwde omgeving? "
                "Of van ruimtelijke ontwikkelingen? Benoem mogelijke afhankelijkheden en hoe hiermee wordt omgegaan.")
H_AFH_BUITEN = ("Indien er afhankelijkheden zijn van (of samenhang met) projecten of ontwikkelingen buiten regio/"
                "provincie, deze omschrijven en aangeven hoe hiermee wordt omgegaan.")
H_AFSPRAKEN = ("Zijn er al uitvoeringsafspraken? Zo ja, welke? Is het project opgenomen in de monitoring? "
               "Beschrijving waar versnelling nodig is en eventuele afspraken hoe deze gerealiseerd kunnen worden.")
H_PARTIJEN = ("Opsomming van de belangrijkste betrokken partijen en hun rol (initiatiefnemer, investeerder, "
              "belanghebbende, etc.): netbeheerder, gemeenten, RES-regio.")
H_UITVOERDER = "Beschrijving van de uitvoerende partij van het project."
H_ONDERZOEKSVRAAG = "Wat is samenvattend de belangrijkste vraag die voorligt in deze fase van het project?"
H_IP_VERK = "Is er sprake van opname in investeringsplannen netbeheerder?"
H_AFH_VERK = ("Welke afhankelijkheden kent het project (andere infrastructuur, sectorale ontwikkelingen, buiten "
              "provincie)? Zie de categorisering uit de projectfiches voor concrete projecten.")
H_DATUM = " Typ een datum (1-3-2031, 1 maart 2031, eind 2031) of een periode (Q3 2031, H1 2031, 2031)."

# --- Fields shared by both types -------------------------------------------------------------

def _common_head(project_help: str) -> list[Field]:
    return [
        Field("projectnaam", "Projectnaam", "text", project_help, required=True),
        Field("drager", "Drager", "choice", "Energiedrager van het project.", required=True, choices=DRAGERS),
        Field("gemeente", "Gemeente", "choice",
              "Gemeente waar het project ligt; het energiecluster wordt hieruit afgeleid.",
              required=True, choices=GEMEENTEN),
    ]


def _monitoring(prefix: str, woord: str, required_window: bool) -> list[Field]:
    # Mid-sentence the word loses its capital but an abbreviation keeps its own: "inbedrijfname (IBN)".
    klein = woord[0].lower() + woord[1:]
    return [
        Field(f"{prefix}_ondergrens", f"{woord} ondergrens", "date",
              f"Vroegst haalbare datum van {klein} volgens de afgesproken planning." + H_DATUM,
              required=required_window, bound="begin"),
        Field(f"{prefix}_bovengrens", f"{woord} bovengrens", "date",
              f"Uiterste datum van {klein}; later is vertraagd." + H_DATUM,
              required=required_window, bound="eind"),
        Field(f"{prefix}_prognose", f"Prognose {klein}", "date",
              f"Verwachte datum van {klein} op basis van de huidige voortgang." + H_DATUM,
              required=required_window, bound="eind"),
        Field(f"{prefix}_gerealiseerd", f"{woord} gerealiseerd", "date",
              f"Alleen invullen als de {klein} heeft plaatsgevonden: de werkelijke datum.", bound="begin"),
    ]


def _tail() -> list[Field]:
    return [
        Field("escalatie", "Escalatie", "choice",
              "Is het project geëscaleerd, en zo ja naar welk overleg?", required=True, choices=ESCALATIES),
        Field("toelichting", "Toelichting stoplicht", "longtext",
              "Aandachtspunten bij de status, zowel op proces als op risico's."),
        Field("peildatum", "Peildatum", "date",
              "Datum waarop deze fiche voor het laatst is bijgewerkt." + H_DATUM, required=True),
    ]


MIJLPALEN = Table(
    "mijlpalen", "Mijlpalen",
    (
        Column("mijlpaal", "Mijlpaal", "text", required=True, width=34,
               help="Bijv. voorkeursalternatief, investeringsbesluit, projectbesluit, ingebruikname."),
        Column("fase", "Fase", "choice", choices=FASEN, width=16),
        Column("actiehouder", "Actiehouder", "choice", choices=ACTIEHOUDERS, width=18),
        Column("gepland", "Gepland", "date", required=True, width=12, help="Oorspronkelijk geplande datum."),
        Column("prognose", "Prognose", "date", width=12, help="Huidige verwachting, als nog niet gereed."),
        Column("gereed", "Gereed", "date", width=12, help="Werkelijke datum waarop de mijlpaal gereed was."),
        Column("stoplicht_handmatig", "Stoplicht (handmatig)", "choice", choices=HANDMATIGE_STOPLICHTEN, width=20,
               help="Alleen invullen om het berekende stoplicht te overrulen; licht dit toe."),
        Column("toelichting", "Toelichting", "longtext", width=36),
        Column("stoplicht", "Stoplicht", "derived", width=20,
               help="Berekend: de vertraging van de mijlpaal verschoven op de ondergrens."),
    ),
    help="Per mijlpaal het stoplicht, gericht op de haalbaarheid van de ingebruikname.",
    rows=20,
)
KNELPUNTEN = Table(
    "knelpunten", "Knelpunten en oplossingen",
    (
        Column("knelpunt", "Knelpunt", "longtext", required=True, width=40),
        Column("oplossing", "Oplossing", "longtext", width=40),
        Column("eigenaar", "Eigenaar", "text", width=20),
        Column("status", "Status", "choice", choices=KNELPUNT_STATUSSEN, width=16),
    ),
    help="Welke knelpunten spelen er en welke oplossingen zijn hiervoor geformuleerd?",
    rows=10,
)
PROJECTTEAM = Table(
    "projectteam", "Projectteam",
    (
        Column("naam", "Naam", "text", required=True, width=24),
        Column("organisatie", "Organisatie", "text", required=True, width=24),
        Column("rol", "Rol", "choice", required=True, choices=TEAMROLLEN, width=14),
        Column("email", "E-mail", "email", width=30),
        Column("uren_per_week", "Uren per week", "number", width=14,
               help="Leeg laten voor de norm: voorzitter 3 uur, deelnemer 2 uur per week."),
    ),
    help="Eén voorzitter (trekker en contactpersoon) en de deelnemers.",
    rows=12,
)
BETROKKEN_PARTIJEN = Table(
    "betrokken_partijen", "Betrokken partijen",
    (
        Column("partij", "Partij", "text", required=True, width=30),
        Column("rol", "Rol", "choice", choices=PARTIJROLLEN, open_choice=True, width=20),
    ),
    help=H_PARTIJEN,
    rows=10,
)
TABLES = (MIJLPALEN, KNELPUNTEN, PROJECTTEAM, BETROKKEN_PARTIJEN)

CONCREET = FicheSchema(
    "concreet", "Projectfiche concreet project",
    tuple(
        _common_head(H_PROJECTNAAM)
        + [
            Field("omschrijving", "Omschrijving", "longtext", H_OMSCHRIJVING, required=True),
            # The seed's label read "Rede opname"; the key (and so the defined name
            # pmiek_rede_opname) keeps that spelling so fiches made before still read.
            Field("rede_opname", "Reden opname/afweging", "longtext", H_REDE),
            Field("locatie", "Locatie", "text", H_LOCATIE, required=True),
            Field("type_infrastructuur", "Type infrastructuur", "text", H_TYPE_INFRA, required=True),
            Field("bevoegd_gezag", "Bevoegd gezag", "text", H_BEVOEGD_GEZAG, required=True),
            Field("pmiek_2_0", "Wel of niet pMIEK 2.0", "choice", H_PMIEK, required=True, choices=PMIEK_OPNAME),
            Field("uitvoerende_organisatie", "Uitvoerende organisatie", "text", H_UITVOERDER, required=True),
            Field("netbeheerder", "Netbeheerder", "choice",
                  "Netbeheerder(s) van het project; kies uit de lijst of typ een andere partij.",
                  required=True, choices=NETBEHEERDERS, open_choice=True),
            Field("planning", "Planning", "longtext", H_PLANNING),
            Field("investeringsplannen", "Investeringsplannen", "longtext", H_IP),
            Field("fase_netbeheerder", "Projectfase netbeheerder", "choice", H_FASE, required=True, choices=FASEN),
            Field("fase_overheid", "Projectfase overheid", "choice", H_FASE, required=True, choices=FASEN),
            Field("afhankelijkheden_infra", "Afhankelijkheden van ander infrastructuurproject", "longtext",
                  H_AFH_INFRA),
            Field("afhankelijkheden_sectoraal", "Afhankelijkheden van sectorale gebiedsontwikkelingen", "longtext",
                  H_AFH_SECTOR),
            Field("afhankelijkheden_buiten_provincie", "Afhankelijkheden buiten provincie", "longtext", H_AFH_BUITEN),
            Field("uitvoeringsafspraken", "Uitvoeringsafspraken", "longtext", H_AFSPRAKEN),
        ]
        + _monitoring("ibn", "Inbedrijfname (IBN)", required_window=True)
        + _tail()
    ),
    TABLES,
)

VERKENNING = FicheSchema(
    "verkenning", "Projectfiche verkenning",
    tuple(
        _common_head(H_PROJECTNAAM)
        + [
            Field("planning", "Planning", "longtext", H_PLANNING),
            Field("uitvoerende_organisatie", "Uitvoerende partij", "text", H_UITVOERDER, required=True),
            Field("locatie", "Locatie", "text", H_LOCATIE, required=True),
            Field("type_infrastructuur", "Type infrastructuur", "text", H_TYPE_INFRA, required=True),
            Field("omschrijving", "Omschrijving", "longtext", H_OMSCHRIJVING, required=True),
            Field("onderzoeksvraag", "Onderzoeksvraag", "longtext", H_ONDERZOEKSVRAAG, required=True),
            Field("ip_opname", "IP wel of niet", "choice", H_IP_VERK, required=True, choices=IP_OPNAME),
            Field("netbeheerder", "Netbeheerder", "choice",
                  "Betrokken netbeheerder, als die er is; kies uit de lijst of typ een andere partij.",
                  choices=NETBEHEERDERS, open_choice=True),
            Field("afhankelijkheden", "Afhankelijkheden (andere infra, sectorale ontwikkelingen, buiten provincie)",
                  "longtext", H_AFH_VERK),
            Field("uitvoeringsafspraken", "Uitvoeringsafspraken", "longtext", H_AFSPRAKEN),
        ]
        # Optional: an early verkenning may not know its oplevering window yet; its light is then
        # Onbekend (a warning from the validator), and the fiche still counts as valid.
        + _monitoring("oplevering", "Oplevering", required_window=False)
        + _tail()
    ),
    TABLES,
)

SCHEMAS: dict[str, FicheSchema] = {"concreet": CONCREET, "verkenning": VERKENNING}


def schema_for(fiche_type: str) -> FicheSchema:
    return SCHEMAS[fiche_type]


def schema_dict() -> dict:
    return {
        "version": SCHEMA_VERSION,
        "template_version": TEMPLATE_VERSION,
        "fiche_types": {name: s.as_dict() for name, s in SCHEMAS.items()},
        "energieclusters": ENERGIECLUSTERS,
        "uren_norm": UREN_NORM,
    }
