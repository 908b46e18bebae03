"""The store's tables for project lists (`sync.lijsten.opslag` reads and writes them).

Kept apart from `sync.store` so that the store's upgrade chain can create them without an
import circle: this module needs SQLAlchemy only. `lijst_imports` holds one row per imported
file (source, kind, edition, peildatum, content hash, the faults found); `lijst_rijen` its clean
rows. The tables have their own `MetaData`; `upgrade_lijsten` is schema step 10 (`sync.store.UPGRADES`).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint

from sync.database import onbegrensde_tekst_op_postgresql

metadata = MetaData()

lijst_imports = Table(
    "lijst_imports", metadata,
    Column("id", Integer, primary_key=True),
    Column("bron", String(100), nullable=False),  # the grid operator or municipality: "Enexis"
    Column("soort", String(20), nullable=False),  # a key of opslag.SOORTEN
    Column("editie", String(60), nullable=False),  # "IP2026", "IP2026 update 1", "MS-T 2026Q2"
    Column("peildatum", Date, nullable=False),  # the day the list describes
    Column("naam", String(500), nullable=False),  # the file's name
    Column("content_hash", String(64), nullable=False),
    Column("ontvangen", DateTime, nullable=False),  # UTC, without zone (SQLite has none)
    Column("rijen", Integer, nullable=False),
    Column("fouten", Text, nullable=False),  # JSON: [{"rij": n, "melding": "..."}]
    UniqueConstraint("bron", "soort", "editie", "content_hash", name="ux_lijst_import_inhoud"),
)

lijst_rijen = Table(
    "lijst_rijen", metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", ForeignKey("lijst_imports.id"), nullable=False, index=True),
    Column("sleutel", String(500), nullable=False),  # the project's identity in its list (code, else name)
    Column("rij", Integer, nullable=False),
    Column("code", String(200)),
    Column("naam", String(500)),
    Column("gemeente", String(200)),
    Column("spanningsniveau", String(100)),
    Column("soort_werk", String(200)),
    Column("ibn", Date),
    Column("ibn_tekst", String(100)),
    Column("status", String(200)),
    Column("opmerking", Text),
)


# A long project name or remark is stored on PostgreSQL too (SQLite never enforced the lengths).
onbegrensde_tekst_op_postgresql(metadata)


def upgrade_lijsten(conn) -> None:
    """Schema step: both tables with their index, when absent (SQLite and PostgreSQL alike)."""
    metadata.create_all(conn, tables=[lijst_imports, lijst_rijen], checkfirst=True)
