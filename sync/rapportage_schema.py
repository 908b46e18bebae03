"""The reporting tables and the SQL views on them, for Power BI, Excel's Get Data and other SQL readers.

The views (`v_projecten`, `v_mijlpalen`, `v_knelpunten`, `v_capaciteit`, `v_historie_kwartaal`)
are the stable contract: Dutch snake_case column names, documented column by column in
docs/power-bi.md. The `rapport_*` tables behind them are an implementation detail that a later
release may change, as long as the views keep their columns. Every sync run refills the tables
from the snapshot it just built (`sync.rapportagetabellen`): the stoplicht, capacity and
plusproject rules stay in Python (`sync.regels`, `sync.overzicht`), never repeated in SQL.

This module imports nothing of the store (`sync.store` calls `maak_rapportage` and
`upgrade_soort_bron` as its upgrade steps 6 and 11), so the tables have their own `MetaData`;
times are stored as naive UTC, like the store's own `UtcDateTime` columns.

A view is (re)created with `CREATE OR REPLACE VIEW` on PostgreSQL, which keeps the SELECT grants
of a read-only role (`leesrol_sql`), and dropped and created on SQLite, which has no grants.
"""

from __future__ import annotations

import re

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)

METADATA = MetaData()

#: One row: which snapshot the tables hold.
verversing = Table(
    "rapport_verversing", METADATA,
    Column("id", Integer, primary_key=True),  # always 1
    Column("peildatum", Date, nullable=False),
    Column("kwartaal", String(8), nullable=False),
    Column("run_id", Integer),
    Column("bijgewerkt", DateTime, nullable=False),  # UTC: when the content last changed
    Column("vingerafdruk", String(64), nullable=False),  # sha256 of the rows: unchanged rows are not rewritten
)

projecten = Table(
    "rapport_projecten", METADATA,
    Column("project_code", Text, primary_key=True),
    Column("volgorde", Integer, nullable=False),
    Column("projectnaam", Text, nullable=False),
    Column("projecttype", String(20), nullable=False),
    Column("drager", Text),
    Column("gemeente", Text),
    Column("energiecluster", Text),
    Column("netbeheerder", Text),
    Column("fase", Text),
    Column("fase_netbeheerder", Text),
    Column("fase_overheid", Text),
    Column("stoplicht", String(40), nullable=False),
    Column("stoplicht_score", Integer),
    Column("vorig_stoplicht", String(40)),
    Column("trend", String(20), nullable=False),
    Column("ibn_ondergrens", Date),
    Column("ibn_bovengrens", Date),
    Column("prognose_ibn", Date),
    Column("ibn_gerealiseerd", Date),
    Column("vorige_prognose_ibn", Date),
    Column("verschuiving_dagen", Integer),
    Column("plusproject", Boolean, nullable=False),
    Column("escalatie", Text),
    Column("geescaleerd", Boolean, nullable=False),
    Column("open_knelpunten", Integer, nullable=False),
    Column("hoofdknelpunt", Text),
    Column("uren_per_week", Float, nullable=False),
    Column("voorzitter", Text),
    Column("voorzitter_organisatie", Text),
    Column("voorzitter_email", Text),
    Column("fiche_peildatum", Date),
    Column("verouderd", Boolean, nullable=False),
    Column("nieuwere_versie_ongeldig", Boolean, nullable=False),
    Column("versie_van", DateTime, nullable=False),
    Column("bestandsnaam", Text, nullable=False),
    Column("link", Text),
    Column("toelichting", Text),
    Column("onderzoeksvraag", Text),
    Column("afhankelijkheden", Text),
    Column("uitvoeringsafspraken", Text),
    # Schema step 11 (`upgrade_soort_bron`). Last, because a PostgreSQL view may only gain columns
    # at its end: CREATE OR REPLACE VIEW then keeps the read-only role's grants.
    Column("soort", String(40)),  # "pMIEK 2.0 concreet", "IP", ... as the master's Soort column
    Column("bron", Text),  # the source of the project's list row ("Enexis"); empty without one
)

mijlpalen = Table(
    "rapport_mijlpalen", METADATA,
    Column("project_code", Text, primary_key=True),
    Column("volgnummer", Integer, primary_key=True),
    Column("projectnaam", Text, nullable=False),
    Column("projecttype", String(20), nullable=False),
    Column("mijlpaal", Text),
    Column("fase", Text),
    Column("actiehouder", Text),
    Column("gepland", Date),
    Column("prognose", Date),
    Column("gereed", Date),
    Column("vertraging_dagen", Integer),
    Column("stoplicht", String(40), nullable=False),
    Column("stoplicht_score", Integer),
    Column("stoplicht_handmatig", Boolean, nullable=False),
    Column("toelichting", Text),
)

knelpunten = Table(
    "rapport_knelpunten", METADATA,
    Column("project_code", Text, primary_key=True),
    Column("volgnummer", Integer, primary_key=True),
    Column("projectnaam", Text, nullable=False),
    Column("projecttype", String(20), nullable=False),
    Column("project_stoplicht", String(40), nullable=False),
    Column("knelpunt", Text),
    Column("oplossing", Text),
    Column("eigenaar", Text),
    Column("status", Text, nullable=False),
    Column("escalatie", Text),
)

capaciteit = Table(
    "rapport_capaciteit", METADATA,
    Column("organisatie", Text, primary_key=True),
    Column("project_code", Text, primary_key=True),
    Column("projectnaam", Text, nullable=False),
    Column("projecttype", String(20), nullable=False),
    Column("fase", Text, nullable=False),
    Column("stoplicht", String(40), nullable=False),
    Column("voorzitters", Integer, nullable=False),
    Column("deelnemers", Integer, nullable=False),
    Column("personen", Integer, nullable=False),
    Column("uren_per_week", Float, nullable=False),
)

historie = Table(
    "rapport_historie", METADATA,
    Column("kwartaal", String(8), primary_key=True),
    Column("project_code", Text, primary_key=True),
    Column("kwartaal_einde", Date, nullable=False),
    Column("peildatum", Date, nullable=False),
    Column("projectnaam", Text),
    Column("stoplicht", String(40), nullable=False),
    Column("stoplicht_score", Integer),
    Column("vastgelegd", Boolean, nullable=False),
    Column("fase", Text),
    Column("prognose_ibn", Date),
    Column("plusproject", Boolean),
)

TABELLEN = (verversing, projecten, mijlpalen, knelpunten, capaciteit, historie)


def _kolommen(tabel: Table, *weglaten: str) -> tuple[str, ...]:
    return tuple(c.name for c in tabel.columns if c.name not in weglaten)


#: View -> (table, its columns in the view's order, whether the snapshot's peildatum comes first).
#: The view's columns are the contract of docs/power-bi.md (tests/test_rapportage.py compares them).
VIEWS: dict[str, tuple[Table, tuple[str, ...], bool]] = {
    "v_projecten": (projecten, _kolommen(projecten), True),
    "v_mijlpalen": (mijlpalen, _kolommen(mijlpalen), True),
    "v_knelpunten": (knelpunten, _kolommen(knelpunten), True),
    "v_capaciteit": (capaciteit, _kolommen(capaciteit), True),
    "v_historie_kwartaal": (historie, _kolommen(historie), False),
}


def view_sql(naam: str) -> str:
    """The SELECT behind a view: portable SQL (SQLite and PostgreSQL)."""
    tabel, kolommen, met_peildatum = VIEWS[naam]
    velden = [f"t.{k} AS {k}" for k in kolommen]
    if met_peildatum:
        velden.insert(0, "s.peildatum AS peildatum")
        return f"SELECT {', '.join(velden)} FROM {tabel.name} t CROSS JOIN {verversing.name} s"
    return f"SELECT {', '.join(velden)} FROM {tabel.name} t"


def maak_views(conn) -> None:
    for naam in VIEWS:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"CREATE OR REPLACE VIEW {naam} AS {view_sql(naam)}"))
        else:
            conn.execute(text(f"DROP VIEW IF EXISTS {naam}"))
            conn.execute(text(f"CREATE VIEW {naam} AS {view_sql(naam)}"))


def maak_rapportage(conn) -> None:
    """The store's upgrade step 6: the reporting tables (if absent) and the views over them."""
    METADATA.create_all(conn, tables=list(TABELLEN), checkfirst=True)
    maak_views(conn)


def upgrade_soort_bron(conn) -> None:
    """The store's upgrade step 11: `rapport_projecten` and `v_projecten` gain `soort` and `bron`.

    The stored fingerprint is cleared, so the next sync run fills the new columns even when its
    snapshot equals the one the tables hold (an unchanged snapshot would otherwise write nothing)."""
    bestaand = {c["name"] for c in inspect(conn).get_columns(projecten.name)}
    for naam in ("soort", "bron"):
        if naam not in bestaand:
            kolom = projecten.c[naam]
            conn.execute(text(f"ALTER TABLE {projecten.name} ADD COLUMN {naam} "
                              f"{kolom.type.compile(dialect=conn.dialect)}"))
    conn.execute(verversing.update().values(vingerafdruk=""))
    maak_views(conn)


# --- the read-only role (PostgreSQL) ---------------------------------------------------------

ROLNAAM = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def leesrol_sql(rol: str, database: str, schema: str = "public") -> list[str]:
    """The statements that give `rol` read access to the views and nothing else.

    The role gets CONNECT on the database, USAGE on the schema and SELECT on the five views: a
    PostgreSQL view reads its tables with its owner's rights, so the role needs (and gets) no
    right on any table, and cannot write. Running them again is harmless. The role is created
    without a password (NOLOGIN until one is set: `ALTER ROLE ... LOGIN PASSWORD ...`).
    """
    if not ROLNAAM.fullmatch(rol):
        raise ValueError(f"not a plain role name: {rol!r}")
    db = '"' + database.replace('"', '""') + '"'
    sch = '"' + schema.replace('"', '""') + '"'
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{rol}') THEN "
        f"CREATE ROLE {rol} NOLOGIN; END IF; END $$",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {rol}",
        f"GRANT CONNECT ON DATABASE {db} TO {rol}",
        f"GRANT USAGE ON SCHEMA {sch} TO {rol}",
        *(f"GRANT SELECT ON {sch}.{naam} TO {rol}" for naam in VIEWS),
    ]
