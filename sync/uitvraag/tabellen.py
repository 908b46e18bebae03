"""The uitvraag round's records in the store (created by the schema step `_upgrade_uitvraag`).

- `uitvraag_rondes`: one row per round (a quarter; a test-mode round is a separate round
  "2027Q1-test", so trying the mails never uses up the real ones), with its deadline and when it
  was opened. "Delivered" means an accepted fiche version since `gestart`.
- `uitvraag_berichten`: one row per (round, project, kind of message), unique in the database
  itself. A row is written as `verzenden` before the message is handed to the transport and
  becomes `verzonden`, `mislukt` (nothing left: tried again on the next run), `controleren` (the
  process died during the hand-over; the transport cannot tell; a person checks) or
  `overgeslagen` (opted out). Because the key is unique, no process can send a kind of message
  to a project twice in a round, whatever crashed in between.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, String, Table, Text, UniqueConstraint

from sync.store import Base, UtcDateTime

#: The deadline notice is about the round, not one project: it carries this project key.
RONDE_PROJECT = "*"

uitvraag_rondes = Table(
    "uitvraag_rondes", Base.metadata,
    Column("ronde", String(20), primary_key=True),  # "2027Q1", or "2027Q1-test" in test mode
    Column("kwartaal", String(8), nullable=False),
    Column("deadline", Date, nullable=False),
    Column("gestart", UtcDateTime, nullable=False),
    Column("aanleiding", String(20), nullable=False),  # handmatig | gepland | demo
    Column("test", Boolean, nullable=False, default=False),
)

uitvraag_berichten = Table(
    "uitvraag_berichten", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("ronde", String(20), nullable=False, index=True),
    Column("project", String(500), nullable=False),  # project_sleutel, or RONDE_PROJECT
    Column("projectnaam", String(500)),
    Column("soort", String(30), nullable=False),  # verzoek | herinnering-7 | deadline | ...
    Column("ontvanger", Text, nullable=False),  # To, as sent (the voorzitter or the project leader)
    Column("cc", Text),
    Column("message_id", String(300), nullable=False),
    Column("transport", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("pogingen", Integer, nullable=False, default=1),
    Column("aangemaakt", UtcDateTime, nullable=False),
    Column("bijgewerkt", UtcDateTime, nullable=False),
    Column("detail", Text),  # where it went (a file, the server's reply)
    Column("melding", Text),  # Dutch, for `pmiek status`
    Column("pid", Integer),
    UniqueConstraint("ronde", "project", "soort", name="ux_uitvraag_bericht"),
)


def maak_tabellen(conn) -> None:
    """The schema step's work: both tables with their indexes, when absent (SQLite and PostgreSQL)."""
    Base.metadata.create_all(conn, tables=[uitvraag_rondes, uitvraag_berichten], checkfirst=True)
