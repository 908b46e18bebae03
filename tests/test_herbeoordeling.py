"""A changed `sync.nabij_maanden` in a store from before schema step 12, which did not record the
setting each file was judged with (the scenario itself: tests/test_sync_scenarios.py)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import create_engine, inspect, text
from test_sync_scenarios import VANDAAG, MapOmgeving, fiche_bytes, klok, sync, t  # noqa: F401 - klok: the frozen clock

from sync.store import SCHEMA_VERSIE, huidige_versie
from sync.synchronisatie import sync_eenmalig


def test_a_store_from_before_step_12_is_not_read_again_for_the_default_setting(tmp_path, store_url) -> None:
    """Upgraded from schema 11 (files without the setting they were judged with): with the default
    `sync.nabij_maanden` nothing is read again, with another one everything is, once."""
    o = MapOmgeving(tmp_path, store_url)
    o.zet("emmen-noord.xlsx", fiche_bytes(0), t(2026, 11, 10))
    o.zet("bargermeer.xlsx", fiche_bytes(1), t(2026, 11, 10))
    sync(o)
    engine = create_engine(o.config().store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE bestanden DROP COLUMN nabij_maanden"))
            conn.execute(text("DELETE FROM pmiek_schema_versie WHERE versie = 12"))
        assert huidige_versie(engine) == 11
    finally:
        engine.dispose()
    r = sync(o)
    assert (r.tellingen.gelezen, r.tellingen.ongewijzigd) == (0, 2)
    engine = create_engine(o.config().store_url)
    try:
        assert huidige_versie(engine) == SCHEMA_VERSIE
        assert "nabij_maanden" in {c["name"] for c in inspect(engine).get_columns("bestanden")}
    finally:
        engine.dispose()
    ruimer = dataclasses.replace(o.config(), sync=dataclasses.replace(o.config().sync, nabij_maanden=6))
    assert sync_eenmalig(ruimer, peildatum=VANDAAG, voortgang=False).tellingen.gelezen == 2
    assert sync_eenmalig(ruimer, peildatum=VANDAAG, voortgang=False).tellingen.gelezen == 0
