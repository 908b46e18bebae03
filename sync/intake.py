"""Intake: turns what a source lists into fiche versions in the store.

Per listed file: skipped without download when its eTag is known; skipped without reading when
the downloaded bytes hash to the version already stored; otherwise read and validated with the
core. Accepted and refused versions are both stored (a refused one feeds Datakwaliteit, while
the overview keeps showing the file's last valid version), each with its file's new state in
the same transaction, so a run that is killed halfway loses at most the verdicts not yet
committed and the next run simply continues. A full listing is authoritative: a known file
missing from it is recorded as deleted.

Where a file is read depends on how many there are (`sync.leesploeg.aantal_lezers`):

- a few, in this process. Before a version goes to the reader, that is recorded and committed
  (`store.Lezing`); the record goes in the same transaction as the verdict. A record left by a
  run that died is a version that took the process down while being read (an engine abort, the
  out-of-memory killer, which no `except` can catch): the next run stores it as refused without
  reading it again, so one such file cannot stop every later run.
- many, in reader processes, one file at a time each: a version that takes its reader down, or
  keeps it past the time limit, is refused in the same run, with the same record for
  `pmiek status`. Their verdicts are committed in batches (`BUNDEL`).

A new version of a refused file is read as usual.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from fiche.errors import FileRefused, InputError, RemoteError
from fiche.stoplicht import NABIJ_MAANDEN_STANDAARD
from sync import leesploeg, verhuizing
from sync.bron import BronItem, FicheBron
from sync.leesploeg import Leesopdracht, Leesuitkomst, lees_hier
from sync.store import (
    STATUS_GEACCEPTEERD,
    STATUS_GEWEIGERD,
    STATUS_ONLEESBAAR,
    STATUS_VERWIJDERD,
    Bestand,
    FicheVersie,
    Lezing,
    Run,
    Store,
    nu,
)
from sync.versiekolommen import beoordeel
from sync.versieopslag import VersieRij, bewaar_leesval, bewaar_versies, versie_rij

log = logging.getLogger("pmiek.sync.intake")

#: Show a progress bar from this many files to read (and only on a terminal).
VOORTGANG_VANAF = 20
#: Versions stored per transaction when a reader pool reads (`_Oogst.bundel`).
BUNDEL = 25
#: Seconds a read may take in a reader process (`sync.leesploeg`): a real fiche takes milliseconds.
LEESTIJD_STANDAARD = 120  # sync.read_timeout_seconds


@dataclass
class Tellingen:
    gezien: int = 0  # files in the listing
    gedownload: int = 0  # bytes fetched from the source
    gelezen: int = 0  # read and judged by the core
    geaccepteerd: int = 0
    geweigerd: int = 0  # invalid or unreadable
    ongewijzigd: int = 0  # known eTag or known content
    verwijderd: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass
class IntakeResultaat:
    tellingen: Tellingen
    fouten: list[dict[str, str]] = field(default_factory=list)  # files that could not be fetched
    volledig: bool = True


def _voortgang(totaal: int, tonen: bool | None):
    from tqdm import tqdm
    if tonen is None:
        tonen = sys.stderr.isatty() and totaal >= VOORTGANG_VANAF
    return tqdm(total=totaal, disable=not tonen, file=sys.stderr, unit="fiche", desc="Fiches", leave=False)


#: Why a version that took the reader down is not read again (Datakwaliteit, `pmiek status`).
MELDING_LEESVAL = (
    "Deze versie bracht de lezer ten val: het lezen ervan brak af doordat pMIEK Monitor of zijn leesproces "
    "stopte. Ze wordt daarom niet opnieuw gelezen. Open de fiche in Excel en sla haar opnieuw op als "
    "Excel-werkmap (.xlsx), of neem contact op met de beheerder.")
#: Why a version whose read was ended after the time limit is not read again.
MELDING_TE_LANG = (
    "Het lezen van deze versie duurde langer dan {seconden} seconden en is afgebroken; een gewone fiche is in "
    "een fractie van een seconde gelezen. Ze wordt daarom niet opnieuw gelezen. Open de fiche in Excel en sla "
    "haar opnieuw op als Excel-werkmap (.xlsx), of neem contact op met de beheerder.")


#: A complete listing that loses every fiche at once is suspect from this many known fiches on;
#: removing the last one or two of a small test folder is ordinary.
LEEG_VERDACHT_VANAF = 3


def verwerk(store: Store, bron: FicheBron, bron_soort: str, run_id: int | None, vandaag: dt.date,
            nabij_maanden: int, voortgang: bool | None = None, lege_bron_toestaan: bool = False, *,
            lezers: int = 0, leestijd: float = LEESTIJD_STANDAARD) -> IntakeResultaat:
    """One intake pass over `bron`; returns the counts and the files that failed to download.

    `lezers`: reader processes (0: one per core, 1: read in this process; see `sync.leesploeg`,
    which also decides whether a run has enough files to read for them); `leestijd`: seconds a
    read may take in a reader process before it is ended and the version refused.

    A complete listing without a single fiche, where earlier runs knew some, is refused (unless
    `lege_bron_toestaan`): an unmounted share or a wrongly moved folder looks exactly like that,
    and taking it at its word would empty the master and the Board's overview.
    """
    bron_id = store.bron_id(bron.sleutel(), bron_soort)
    cursor = store.cursor(bron_id)
    if cursor is not None and _anders_beoordeeld(store, bron_id, nabij_maanden):
        # A delta listing names only changed files; those judged with another setting are not.
        log.info("full listing: verdicts were made with another nabij_maanden",
                 extra={"fields": {"nabij_maanden": nabij_maanden}})
        cursor = None
    wijzigingen = bron.wijzigingen(cursor)
    t = Tellingen()
    # Where the source used to be (a moved folder, an earlier version's key): its files are gone.
    t.verwijderd += verhuizing.markeer_oude_locaties(store, bron_id, bron_soort, run_id)
    fouten: list[dict[str, str]] = []

    # Before the known state is loaded: refusing a crashed version updates its file's state.
    vastgelopen = _weiger_vastgelopen(store, bron_id, run_id)

    with store.session() as s:
        bekend = {b.item_id: b for b in s.scalars(select(Bestand).where(Bestand.bron_id == bron_id))}
        s.expunge_all()

    # A delta listing may repeat an item: the last occurrence is its current state.
    items: dict[str, BronItem] = {}
    for item in wijzigingen.items:
        items[item.id] = item

    aanwezig = sum(1 for b in bekend.values() if b.verwijderd is None)
    if wijzigingen.volledig and not items and aanwezig >= LEEG_VERDACHT_VANAF and not lege_bron_toestaan:
        raise InputError(
            f"{bron.beschrijving()} lists no fiche while {aanwezig} were known; nothing marked deleted",
            f"De bron ({bron.beschrijving()}) bevat geen enkele fiche meer, terwijl er {aanwezig} bekend waren. "
            "Is de map of de netwerkschijf wel bereikbaar? Er is niets als verwijderd gemarkeerd en het "
            "masterwerkboek is niet bijgewerkt. Zijn alle fiches echt weg, draai dan eenmalig "
            "'pmiek sync --allow-empty-source'.")

    te_lezen: list[BronItem] = []
    for item in items.values():
        if item.id in vastgelopen and vastgelopen[item.id] == item.etag:
            t.geweigerd += 1  # refused above, this run; not read
        elif _zelfde_etag(bekend.get(item.id), item) and _zelfde_regel(bekend[item.id], nabij_maanden):
            t.ongewijzigd += 1
        else:
            te_lezen.append(item)
    t.gezien = len(items)
    balk = _voortgang(len(te_lezen), voortgang)
    oogst = _Oogst(store, bron_id, run_id, t, leestijd, nabij_maanden)
    opnieuw = sum(1 for i in te_lezen if _zelfde_etag(bekend.get(i.id), i))
    if opnieuw:
        log.info("files read again: their verdicts were made with another nabij_maanden",
                 extra={"fields": {"files": opnieuw, "nabij_maanden": nabij_maanden}})

    def opdrachten() -> Iterator[Leesopdracht]:
        """The versions to read: downloaded, and not known by their content already."""
        for item in te_lezen:
            balk.update(1)
            b = bekend.get(item.id)
            try:
                inhoud = bron.download(item)
            except FileRefused as exc:
                oogst.bewaar_rij(oogst.rij(item, b, None, STATUS_ONLEESBAAR, melding=exc.melding))
                t.geweigerd += 1
                log.warning("file refused", extra={"fields": {"item": item.naam, "reason": str(exc)}})
                continue
            except RemoteError as exc:
                # Not judged: the file keeps its previous state and the next run tries again.
                fouten.append({"item": item.naam, "melding": exc.melding})
                log.error("download failed", extra={"fields": {"item": item.naam, "error": str(exc)}})
                continue
            t.gedownload += 1
            inhoud_hash = hashlib.sha256(inhoud).hexdigest()
            if b is not None and b.verwijderd is None and b.content_hash == inhoud_hash \
                    and _zelfde_regel(b, nabij_maanden):
                oogst.vastleggen()
                _werk_bestand_bij(store, b.id, item)
                verhuizing.verhuis_link(store, bron_id, item.id, b.link, item.link)
                t.ongewijzigd += 1
                continue
            t.gelezen += 1
            log.debug("reading file", extra={"fields": {"item": item.naam, "etag": item.etag}})
            yield Leesopdracht((item, b, inhoud_hash), inhoud, item.naam)

    lezers = leesploeg.aantal_lezers(lezers, len(te_lezen))
    lees = functools.partial(beoordeel, vandaag=vandaag, nabij_maanden=nabij_maanden)
    try:
        if lezers > 1:
            oogst.bundel = BUNDEL
            with leesploeg.LeesPloeg(lezers, lees, leestijd) as ploeg:
                for uitkomst in ploeg.lees(opdrachten()):
                    oogst.bewaar(uitkomst)
            oogst.vastleggen()
        else:
            for opdracht in opdrachten():
                item, _, inhoud_hash = opdracht.sleutel
                # Committed before the reader starts: should reading this kill the process, the
                # next run finds the record and does not read this version again.
                oogst.lezing = store.begin_lezing(bron_id, item.id, item.naam, item.link, item.etag, inhoud_hash,
                                                  item.gewijzigd, run_id, os.getpid())
                oogst.bewaar(lees_hier(opdracht, lees))
                oogst.lezing = None
    except (KeyboardInterrupt, SystemExit):
        # Stopped from outside (Ctrl-C), not by a file: the version being read is not suspect,
        # and the verdicts already made are kept where the interrupted statement allows it.
        oogst.vastleggen_na_stop()
        if oogst.lezing is not None:
            _wis_lezing(store, oogst.lezing)
        raise
    finally:
        oogst.laat_los()
        balk.close()

    if wijzigingen.volledig:
        weg = [i for i, b in bekend.items() if b.verwijderd is None and i not in items]
    else:
        weg = [i for i in dict.fromkeys(wijzigingen.verwijderd) if i in bekend and bekend[i].verwijderd is None]
    for item_id in weg:
        _markeer_verwijderd(store, bron_id, bekend[item_id], run_id)
        t.verwijderd += 1
        log.info("fiche deleted in source", extra={"fields": {"item": bekend[item_id].naam}})

    # Only now: a run killed before this point starts again from the old cursor, and the files
    # it already stored are skipped by eTag.
    if not fouten:
        store.zet_cursor(bron_id, wijzigingen.cursor)
    return IntakeResultaat(t, fouten, wijzigingen.volledig)


def _zelfde_etag(b: Bestand | None, item: BronItem) -> bool:
    return b is not None and b.verwijderd is None and b.etag == item.etag and b.link == item.link


def _anders_beoordeeld(store: Store, bron_id: int, nabij_maanden: int) -> bool:
    """Some present file of the source was judged with another `nabij_maanden` (`_zelfde_regel`)."""
    with store.session() as s:
        return s.scalar(select(Bestand.id).where(
            Bestand.bron_id == bron_id, Bestand.verwijderd.is_(None),
            func.coalesce(Bestand.nabij_maanden, NABIJ_MAANDEN_STANDAARD) != nabij_maanden).limit(1)) is not None


def _zelfde_regel(b: Bestand, nabij_maanden: int) -> bool:
    """The file's current verdict was made with this `sync.nabij_maanden` (a store from before
    schema step 12 did not record it: the default then). With another setting the lights of an
    unchanged fiche would stay as the old setting coloured them, so the file is read again."""
    return (b.nabij_maanden if b.nabij_maanden is not None else NABIJ_MAANDEN_STANDAARD) == nabij_maanden


@dataclass
class _Oogst:
    """Stores what the reads yield and counts it; `lezing`: the record of the read in progress
    when reading in this process (the version's verdict clears it)."""

    store: Store
    bron_id: int
    run_id: int | None
    t: Tellingen
    leestijd: float
    nabij_maanden: int  # the setting the verdicts are made with, kept with each file
    lezing: int | None = None
    #: Versions per transaction: 1 when reading in-process (each read is recorded before it
    #: starts, and its verdict must clear that record at once); more from a pool, whose reads
    #: leave no record: a run killed halfway loses at most this many verdicts, read again next time.
    bundel: int = 1
    _wachtend: list[VersieRij] = field(default_factory=list)

    def vastleggen(self) -> None:
        """Store the versions waiting for their batch; before any write outside `bewaar`."""
        if self._wachtend:
            # Taken off first: a batch whose statement a stop interrupts is dropped, not retried.
            rijen, self._wachtend = self._wachtend, []
            with self.store.engine.begin() as c:
                bewaar_versies(c, rijen)

    def vastleggen_na_stop(self) -> None:
        """`vastleggen` after Ctrl-C or SIGTERM: the verdicts still waiting are kept; those of a
        batch the signal interrupted while it was being stored are dropped (its transaction is
        rolled back, the files are read again next run) and the stop goes on as a stop."""
        try:
            self.vastleggen()
        except Exception as exc:  # noqa: BLE001 - a driver error from a connection the signal broke
            log.warning("verdicts of the interrupted batch not kept; those files are read again next run",
                        extra={"fields": {"error": f"{type(exc).__name__}: {exc}"}})

    def laat_los(self) -> None:
        self._wachtend = []  # after a failure: read again next run

    def rij(self, item: BronItem, b: Bestand | None, inhoud_hash: str | None, status: str, **kw) -> VersieRij:
        """A version of this run (`versie_rij`), clearing the record of the read in progress."""
        return versie_rij(self.bron_id, item, b, self.run_id, inhoud_hash, status, self.nabij_maanden,
                          lezing_id=self.lezing, **kw)

    def bewaar_rij(self, rij: VersieRij) -> None:
        self._wachtend.append(rij)
        if len(self._wachtend) >= self.bundel:
            self.vastleggen()

    def bewaar(self, uitkomst: Leesuitkomst) -> None:
        item, b, inhoud_hash = uitkomst.opdracht.sleutel
        t = self.t
        if uitkomst.soort == "oordeel":
            kolommen = uitkomst.kolommen
            assert kolommen is not None
            status = STATUS_GEACCEPTEERD if kolommen["geldig"] else STATUS_GEWEIGERD
            self.bewaar_rij(self.rij(item, b, inhoud_hash, status, kolommen=kolommen))
            if kolommen["geldig"]:
                t.geaccepteerd += 1
            else:
                t.geweigerd += 1
            log.info("fiche version stored", extra={"fields": {
                "item": item.naam, "status": status, "project": kolommen["project"],
                "errors": kolommen["fouten"], "warnings": kolommen["waarschuwingen"]}})
            return
        t.geweigerd += 1
        if uitkomst.soort == "geweigerd":
            melding = uitkomst.melding
            log.warning("file refused", extra={"fields": {"item": item.naam, "reason": uitkomst.reden}})
        elif uitkomst.soort == "fout":
            melding = f"{item.naam} kon niet als fiche worden gelezen (onverwachte inhoud)."
        else:  # the reader process died on it, or was ended after the time limit
            melding = MELDING_LEESVAL if uitkomst.soort == "gestorven" else MELDING_TE_LANG.format(
                seconden=f"{self.leestijd:g}")
            log.error("a version took its reader process down; refused, and not read again",
                      extra={"fields": {"item": item.naam, "reason": uitkomst.reden}})
            # With the record of the crash, which needs the version's id: stored on its own.
            self.vastleggen()
            bewaar_leesval(self.store, self.rij(item, b, inhoud_hash, STATUS_ONLEESBAAR, melding=melding))
            return
        self.bewaar_rij(self.rij(item, b, inhoud_hash, STATUS_ONLEESBAAR, melding=melding))


def _werk_bestand_bij(store: Store, bestand_id: int, item: BronItem) -> None:
    with store.session() as s, s.begin():
        b = s.get_one(Bestand, bestand_id)
        b.etag, b.naam, b.gewijzigd, b.link, b.laatst_gezien = item.etag, item.naam, item.gewijzigd, item.link, nu()


def _wis_lezing(store: Store, lezing_id: int) -> None:
    with store.session() as s, s.begin():
        lezing = s.get(Lezing, lezing_id)
        if lezing is not None:
            s.delete(lezing)


def _proces_leeft(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process (EPERM): it exists
        return True
    return True


def _verlaten(lezing: Lezing, run: Run | None, run_id: int | None) -> bool | None:
    """True: the read's process died while reading; False: the read finished (its run ended
    normally, the record is merely left over); None: another run that is alive is reading."""
    if run_id is not None and lezing.run_id == run_id:
        return None
    if run is None:
        return None if _proces_leeft(lezing.pid) else True
    if run.status == "afgebroken":
        # `Store.start_run` marks a run that was still "bezig" so: only one process owns the
        # store at a time (the run lock), so its process is gone.
        return True
    if run.status == "bezig":
        return None if _proces_leeft(run.pid) else True
    # The run ended (ok, or fout with its own message): the process survived the read, so
    # it was not the file that took it down (a store write after it failed, say).
    return False


def _weiger_vastgelopen(store: Store, bron_id: int, run_id: int | None) -> dict[str, str | None]:
    """Refuse, without reading, every version of `bron_id` whose read a dead run left behind;
    returns the refused versions' eTag per item id."""
    geweigerd: dict[str, str | None] = {}
    for lezing, run in store.open_lezingen(bron_id):
        verlaten = _verlaten(lezing, run, run_id)
        if verlaten is None:
            continue
        with store.session() as s, s.begin():
            rij = s.get_one(Lezing, lezing.id)
            if not verlaten:
                s.delete(rij)
                continue
            versie = FicheVersie(
                bron_id=bron_id, item_id=lezing.item_id, naam=lezing.naam, link=lezing.link,
                status=STATUS_ONLEESBAAR, geaccepteerd=False, content_hash=lezing.content_hash, etag=lezing.etag,
                gewijzigd=lezing.gewijzigd or lezing.begonnen, ontvangen=nu(), bevindingen="[]",
                melding=MELDING_LEESVAL, run_id=run_id,
            )
            s.add(versie)
            s.flush()
            rij.vastgelopen, rij.versie_id = nu(), versie.id
            # The file's state becomes this version: the listing's eTag check, or the content
            # hash after a download, then skips it like any version already judged.
            b = s.scalar(select(Bestand).where(Bestand.bron_id == bron_id, Bestand.item_id == lezing.item_id))
            if b is None:
                s.add(Bestand(bron_id=bron_id, item_id=lezing.item_id, naam=lezing.naam, etag=lezing.etag,
                              content_hash=lezing.content_hash, gewijzigd=lezing.gewijzigd, link=lezing.link,
                              verwijderd=None, laatst_gezien=nu()))
            else:
                b.naam, b.etag, b.content_hash = lezing.naam, lezing.etag, lezing.content_hash
                b.gewijzigd, b.link, b.verwijderd = lezing.gewijzigd, lezing.link, None
        geweigerd[lezing.item_id] = lezing.etag
        log.error("a version took the reader down in an earlier run; refused without reading it again",
                  extra={"fields": {"item": lezing.naam, "etag": lezing.etag, "run": lezing.run_id,
                                    "started": lezing.begonnen.isoformat()}})
    return geweigerd


def _markeer_verwijderd(store: Store, bron_id: int, bekend: Bestand, run_id: int | None) -> None:
    moment = nu()
    with store.session() as s, s.begin():
        s.add(FicheVersie(
            bron_id=bron_id, item_id=bekend.item_id, naam=bekend.naam, link=bekend.link, status=STATUS_VERWIJDERD,
            geaccepteerd=False, content_hash=None, etag=None, gewijzigd=moment, ontvangen=moment,
            melding=f"{bekend.naam} is uit de bron verwijderd.", run_id=run_id,
        ))
        b = s.get_one(Bestand, bekend.id)
        b.verwijderd = moment
