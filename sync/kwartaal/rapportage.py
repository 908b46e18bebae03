"""The quarterly report job: a frozen snapshot per quarter and exactly-once sending.

**Frozen snapshot.** The first time a quarter is sent, the `Overzicht` at its peildatum is
serialised to JSON and stored with the master workbook's bytes in `kwartaal_snapshots`. Every later
preview or send of that quarter uses the stored snapshot, so the Board can be shown the same
numbers a year later, whatever changed in the fiches since. A preview alone freezes nothing: the
scheduled send must see the fresh sync it runs first.

**Exactly once.** A send is a small state machine in `kwartaal_verzendingen`, one row per
attempt, under the store's report lock (`sync.vergrendeling`; one sender per store at a time):

1. In one transaction: the row is written as `verzenden` with the Message-ID the e-mail will
   carry, *before* anything leaves. A partial unique index allows one `verzenden` row per quarter.
2. The transport delivers (its own bounded retries cover refusals that leave nothing sent). At
   its hand-over point (SMTP answered 354 to DATA; Graph's sendMail request goes out) the row
   becomes `overgedragen`, and back to `verzenden` when the other side then refuses explicitly.
3. The row becomes `verzonden` (or `mislukt`: nothing was sent; or `controleren`: the transport
   cannot tell whether it was delivered).

A crash leaves a row `verzenden` or `overgedragen`. The next run (a restart, the next schedule,
the service's due check in `sync.kwartaal.inhalen`, `pmiek report --send`) finds it:
- the outbox can tell (the `.eml` is written atomically and named after the Message-ID): the
  row is completed, or the same message is delivered now;
- `verzenden` (any other transport): the message never reached the transport, so the row becomes
  `mislukt` and the quarter is sent anew;
- `overgedragen` on SMTP or Graph (with only Mail.Send): they cannot be asked, so the row becomes
  `controleren` and nothing is resent automatically. A duplicate mail to the Board is worse
  than a late one; `pmiek status` shows the quarter, and a person either resends with `--force`
  or confirms with `--mark-sent`.

A stop (Ctrl+C, SIGTERM) during the transport records the same way before the process ends. So a
crash can never cause a second automatic send; the price is a manual check in the rare case the
process died exactly while the server was taking the message.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from fiche import datums
from fiche.datums import datum_nl, kwartaal as kwartaal_code, kwartaal_grenzen, parse_kwartaal, vorig_kwartaal
from fiche.errors import InputError, PmiekError
from sync.config import STANDAARD_TIJDZONE, ReportConfig
from sync.kwartaal.bericht import bouw_bericht, nieuw_message_id
from sync.kwartaal.inhoud import bouw_rapport
from sync.kwartaal.tijdlijn import tijdlijn_png
from sync.kwartaal.transport import (
    AlInOutbox,
    Herhaling,
    OnzekereVerzending,
    OutboxTransport,
    SmtpInstellingen,
    SmtpTransport,
    Transport,
    schrijf_preview,
)
from sync.master import master_inhoud
from sync.overzicht import Overzicht
from sync.overzicht_json import overzicht_naar_json, overzicht_van_json  # also used as kr.overzicht_van_json
from sync.store import kwartaal_snapshots as snapshots, kwartaal_verzendingen as verzendingen
from sync.vergrendeling import Bezet, Slot, slot_in

log = logging.getLogger("pmiek.sync.kwartaal.rapportage")

JOB_ID = "pmiek-kwartaalrapport"
#: First Monday of January, April, July and October, 08:00 local time (after the 07:00 sync).
STANDAARD_CRON = {"month": "1,4,7,10", "day": "1st mon", "hour": 8, "minute": 0}

VERZENDEN, VERZONDEN, MISLUKT, CONTROLEREN = "verzenden", "verzonden", "mislukt", "controleren"
#: Between the transport's hand-over point and its answer (see `transport.Overdracht`).
OVERGEDRAGEN = "overgedragen"
#: A record in one of these states belongs to an attempt in flight (or to a process that died).
ONDERWEG = (VERZENDEN, OVERGEDRAGEN)
STATUS_NL = {
    VERZENDEN: "wordt verzonden", OVERGEDRAGEN: "overgedragen aan de mailserver, bevestiging ontbreekt",
    VERZONDEN: "verzonden", MISLUKT: "mislukt", CONTROLEREN: "onzeker, handmatig controleren",
}

def nu() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- from the settings (`sync.config.ReportConfig`, `config.report`) ---------------------------

def herhaling(rp: ReportConfig) -> Herhaling:
    return Herhaling(pogingen=rp.retries, basis=rp.retry_base_seconds, maximum=rp.retry_max_seconds)


def maak_transport(rp: ReportConfig, config: Any = None) -> Transport:
    """The transport `rp.transport` names; "graph" uses the SharePoint source of `config`."""
    if rp.transport == "outbox":
        return OutboxTransport(rp.outbox)
    if rp.transport == "smtp":
        assert rp.smtp is not None  # the config requires smtp_host with this transport
        smtp = rp.smtp
        return SmtpTransport(SmtpInstellingen(host=smtp.host, port=smtp.port, starttls=smtp.starttls,
                                              user_env=smtp.user_env, password_env=smtp.password_env,
                                              ca_bundle=smtp.ca_bundle, timeout=smtp.timeout), herhaling(rp))
    from sync.graph import verbinding_uit_config
    from sync.kwartaal.transport import GraphTransport
    verbinding = verbinding_uit_config(config.source.sharepoint)
    return GraphTransport(verbinding.client, rp.sender, verbinding.session, herhaling(rp),
                          timeout=config.source.sharepoint.timeout)


# --- the quarter ----------------------------------------------------------------------------

@dataclass
class Kwartaalstuk:
    """Everything one quarter's e-mail is made of."""

    kwartaal: str
    overzicht: Overzicht
    master: bytes
    bevroren: bool  # from (or now in) the stored snapshot


def peildatum_voor(kwartaal: str, vandaag: dt.date) -> dt.date:
    """The quarter's last day; today when the quarter is still running."""
    _, eind = kwartaal_grenzen(kwartaal)
    return min(eind, vandaag)


def lokale_datum(moment: dt.datetime | None = None, tz: dt.tzinfo | None = None) -> dt.date:
    """Today (or `moment`) in the configured zone `tz` (default: the config's default zone)."""
    return datums.lokale_datum(moment or nu(), tz or ZoneInfo(STANDAARD_TIJDZONE))


def controleer_kwartaal(kwartaal: str, vandaag: dt.date) -> str:
    try:
        jaar, q = parse_kwartaal(kwartaal)
    except ValueError as exc:
        # a DatumFout carries its Dutch text in `melding`
        raise InputError(f"invalid quarter {kwartaal!r}", getattr(exc, "melding", str(exc))) from None
    code = f"{jaar}Q{q}"
    begin, _ = kwartaal_grenzen(code)
    if begin > vandaag:
        raise InputError(f"quarter {code} has not started", f"Kwartaal {code} is nog niet begonnen.")
    return code


def weiger_lopend_kwartaal(kwartaal: str, vandaag: dt.date) -> None:
    """Sent before it ended, a quarter is frozen mid-way and its scheduled send skipped: only with --force."""
    if (eind := kwartaal_grenzen(kwartaal)[1]) >= vandaag:
        raise InputError(f"quarter {kwartaal} has not ended; not sent without --force",
                         f"Kwartaal {kwartaal} loopt nog tot en met {datum_nl(eind)}; er is niets verzonden (dat "
                         "gebeurt vanzelf na afloop van het kwartaal). Met --send --force gaat het nu toch: het "
                         f"overzicht met peildatum {datum_nl(vandaag)} wordt dan vastgelegd als dat van {kwartaal}, "
                         "en het geplande overzicht na afloop van het kwartaal wordt niet meer verzonden.")


class Kwartaalrapport:
    """The quarterly report against one store (engine), with its lock file (SQLite; on PostgreSQL
    an advisory lock in the database instead, see `sync.vergrendeling`)."""

    def __init__(self, engine: Engine, store: Any, lock_pad: Path, tijdzone: str = STANDAARD_TIJDZONE,
                 **opties: int) -> None:
        self.engine = engine
        self.opties = opties  # bouw_overzicht's tolerantie_maanden, nabij_maanden: the list projects' window
        self.tijdzone = tijdzone  # the configured sync.timezone: "today", the peildatum, shown times
        self.tz = ZoneInfo(tijdzone)
        self.store = store  # sync.store.Store: `bouw_overzicht` reads fiche versions from it
        self.lock_pad = lock_pad

    # --- snapshot ---

    def snapshot(self, kwartaal: str) -> tuple[str, bytes] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(snapshots.c.overzicht, snapshots.c.master)
                               .where(snapshots.c.kwartaal == kwartaal)).first()
        return (row.overzicht, bytes(row.master)) if row else None

    def stuk(self, kwartaal: str, moment: dt.datetime | None = None, bevriezen: bool = False) -> Kwartaalstuk:
        """The quarter's snapshot: the stored one, else built from the store now (and stored when
        `bevriezen`, i.e. for a send)."""
        bewaard = self.snapshot(kwartaal)
        if bewaard is not None:
            log.info("using the frozen snapshot", extra={"fields": {"quarter": kwartaal}})
            return Kwartaalstuk(kwartaal, overzicht_van_json(bewaard[0]), bewaard[1], True)
        from sync.overzicht_bouw import bouw_overzicht
        moment = moment or nu()
        vandaag = lokale_datum(moment, self.tz)
        peildatum = peildatum_voor(kwartaal, vandaag)
        overzicht = bouw_overzicht(self.store, peildatum, gegenereerd=moment, tijdzone=self.tijdzone, **self.opties)
        if bevriezen:
            # Frozen is final (the scheduled send will find the quarter sent): never an empty
            # overview, which would tell the Board that all is well.
            if not overzicht.projecten:
                raise InputError(f"no projects in the store at {peildatum.isoformat()}; nothing sent",
                                 f"Op de peildatum {datum_nl(peildatum)} staan geen projecten in de database; er is "
                                 "niets verzonden. Draai eerst een synchronisatie (pmiek sync).")
            if kwartaal_grenzen(kwartaal)[1] >= vandaag:
                log.warning("sending a quarter that has not ended: its snapshot is frozen now and the scheduled "
                            "send will skip it",
                            extra={"fields": {"quarter": kwartaal, "peildatum": peildatum.isoformat()}})
        master = master_inhoud(overzicht)
        if bevriezen:
            json_tekst = overzicht_naar_json(overzicht)
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(snapshots).values(kwartaal=kwartaal, peildatum=peildatum, gemaakt=moment,
                                                          overzicht=json_tekst, master=master))
                log.info("snapshot frozen", extra={"fields": {"quarter": kwartaal, "peildatum": peildatum.isoformat()}})
            except IntegrityError:
                return self.stuk(kwartaal)  # another process froze it first: theirs counts
            # What is sent is what was stored: read it back through the same path.
            return Kwartaalstuk(kwartaal, overzicht_van_json(json_tekst), master, True)
        return Kwartaalstuk(kwartaal, overzicht, master, False)

    # --- building the message ---

    @staticmethod
    def bericht(stuk: Kwartaalstuk, inst: ReportConfig, message_id: str | None = None,
                datum: dt.datetime | None = None) -> EmailMessage:
        rapport = bouw_rapport(stuk.overzicht)
        png = tijdlijn_png(rapport.projecten, rapport.peildatum)
        return bouw_bericht(rapport, png, stuk.master, afzender=inst.sender, ontvangers=inst.recipients,
                            onderwerp_template=inst.subject, message_id=message_id, datum=datum)

    def preview(self, kwartaal: str, map_: Path, inst: ReportConfig,
                moment: dt.datetime | None = None) -> dict[str, Path]:
        """Write the quarter's e-mail (.eml, .html, picture, master) into `map_` without sending."""
        stuk = self.stuk(kwartaal, moment)
        bericht = self.bericht(stuk, inst, datum=moment)
        stam = f"pmiek-kwartaaloverzicht-{kwartaal}"
        paden = schrijf_preview(bericht, Path(map_), stam)
        paden["master"] = Path(map_) / f"pMIEK-monitoring-{kwartaal}.xlsx"
        paden["master"].write_bytes(stuk.master)
        return paden

    # --- records ---

    def verzendingen(self, kwartaal: str | None = None) -> list[dict]:
        q = select(verzendingen).order_by(verzendingen.c.id)
        if kwartaal:
            q = q.where(verzendingen.c.kwartaal == kwartaal)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def laatste(self, kwartaal: str) -> dict | None:
        return next(reversed(self.verzendingen(kwartaal)), None)

    def _vastgelegd(self, kwartaal: str) -> dict:
        """The latest record of `kwartaal`, just written by this process (so it exists)."""
        rij = self.laatste(kwartaal)
        if rij is None:
            raise PmiekError(f"send record of {kwartaal} missing right after writing it")
        return rij

    def _zet(self, rij_id: int, status: str, detail: str | None = None, melding: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(verzendingen).where(verzendingen.c.id == rij_id)
                         .values(status=status, bijgewerkt=nu(), detail=detail, melding=melding))
        log.info("report record updated", extra={"fields": {"record": rij_id, "status": status}})

    def _zet_status(self, rij_id: int, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(verzendingen).where(verzendingen.c.id == rij_id).values(status=status, bijgewerkt=nu()))
        log.info("report record updated", extra={"fields": {"record": rij_id, "status": status}})

    def _afgebroken(self, rij_id: int, kwartaal: str, controle: str) -> None:
        """The process is being stopped during the transport: before the hand-over nothing was
        sent (mislukt), after it the message may have arrived (controleren)."""
        with self.engine.connect() as conn:
            status = conn.execute(select(verzendingen.c.status).where(verzendingen.c.id == rij_id)).scalar()
        if status == OVERGEDRAGEN:
            self._zet(rij_id, CONTROLEREN, melding=f"Verzenden van {kwartaal} afgebroken (pMIEK gestopt) terwijl de "
                      f"mailserver het bericht ontving; of het is aangekomen is onbekend. {controle}")
        elif status == VERZENDEN:
            self._zet(rij_id, MISLUKT, melding=f"Verzenden van {kwartaal} afgebroken (pMIEK gestopt) voordat het "
                      "bericht was overgedragen; er is niets verzonden.")

    def _lock(self) -> Slot:
        lock = slot_in(self.engine.url, "rapport", self.lock_pad)
        try:
            lock.acquire(60)
        except Bezet:
            raise InputError(f"another process is sending a report ({self.lock_pad.name})",
                             "Er wordt al een kwartaaloverzicht verzonden vanaf deze database; probeer het later "
                             "opnieuw.") from None
        return lock

    # --- sending ---

    def verstuur(self, kwartaal: str, inst: ReportConfig, transport: Transport, *, force: bool = False,
                 aanleiding: str = "handmatig", moment: dt.datetime | None = None) -> dict:
        """Send the quarter's e-mail exactly once (see the module docstring); returns the record."""
        lock = self._lock()
        try:
            return self._verstuur(kwartaal, inst, transport, force, aanleiding, moment)
        finally:
            lock.release()

    def _verstuur(self, kwartaal: str, inst: ReportConfig, transport: Transport, force: bool,
                  aanleiding: str, moment: dt.datetime | None) -> dict:
        vorige = self.laatste(kwartaal)
        hervat: dict | None = None
        if vorige is not None and vorige["status"] in ONDERWEG:
            # Only a dead process leaves this row behind: we hold the lock.
            oordeel = transport.al_verzonden(vorige["message_id"]) if transport.naam == vorige["transport"] else None
            if oordeel is True:
                self._zet(vorige["id"], VERZONDEN, detail=(vorige["detail"] or "") + " (na herstart bevestigd)")
                log.info("interrupted send was delivered; record completed", extra={"fields": {"quarter": kwartaal}})
                if not force:
                    return self._vastgelegd(kwartaal)
            elif oordeel is False:
                log.warning("interrupted send was not delivered; sending it now",
                            extra={"fields": {"quarter": kwartaal}})
                hervat = vorige
            elif vorige["status"] == VERZENDEN:
                # It died before the hand-over point: the transport never had the message.
                self._zet(vorige["id"], MISLUKT, detail=vorige["detail"], melding=(
                    f"Het verzenden van {kwartaal} werd onderbroken (proces gestopt) voordat het bericht aan "
                    f"{vorige['transport']} was overgedragen; er was niets verzonden."))
                log.warning("interrupted send never reached the transport; recorded as failed, sending anew",
                            extra={"fields": {"quarter": kwartaal, "record": vorige["id"]}})
            else:
                melding = (f"Het verzenden van {kwartaal} werd onderbroken (proces gestopt) terwijl het bericht "
                           f"via {vorige['transport']} werd afgeleverd. Of het is aangekomen is onbekend: controleer "
                           f"de ontvangst (Message-ID {vorige['message_id']}). Daarna: 'pmiek report --quarter "
                           f"{kwartaal} --mark-sent' of opnieuw verzenden met '--send --force'.")
                self._zet(vorige["id"], CONTROLEREN, detail=vorige["detail"], melding=melding)
                log.error("interrupted send cannot be verified; marked for a manual check",
                          extra={"fields": {"quarter": kwartaal, "message_id": vorige["message_id"]}})
                if not force:
                    raise OnzekereVerzending(f"interrupted send of {kwartaal} needs a manual check", melding)
            vorige = self.laatste(kwartaal)
        if hervat is None and vorige is not None and not force:
            # Any earlier delivery counts, not just the last record: a failed --force resend
            # after it must not open the door to a plain second send.
            verzonden = [r for r in self.verzendingen(kwartaal) if r["status"] == VERZONDEN]
            if verzonden:
                raise AlVerzonden(kwartaal, verzonden[-1], self.tz)
            if vorige["status"] == CONTROLEREN:
                raise OnzekereVerzending(f"send of {kwartaal} awaits a manual check", vorige["melding"] or "")

        eerder = getattr(transport, "kwartaal_bericht", lambda *_: None)(kwartaal, hervat and hervat["message_id"])
        if eerder is not None and not force:  # the outbox has it, even if our record of it is gone
            raise AlInOutbox(kwartaal, eerder)
        moment = moment or nu()
        if hervat is None and not force:
            weiger_lopend_kwartaal(kwartaal, lokale_datum(moment, self.tz))
        stuk = self.stuk(kwartaal, moment, bevriezen=True)
        if hervat is not None:
            rij_id, message_id, datum = hervat["id"], hervat["message_id"], hervat["aangemaakt"]
        else:
            rij_id, message_id, datum = None, nieuw_message_id(kwartaal, inst.sender), moment
        # Built before the record is written: a failure here leaves no "verzenden" row behind.
        bericht = self.bericht(stuk, inst, message_id=message_id, datum=datum)
        if rij_id is None:
            try:
                with self.engine.begin() as conn:
                    sleutel = conn.execute(insert(verzendingen).values(
                        kwartaal=kwartaal, message_id=message_id, transport=transport.naam, status=VERZENDEN,
                        aanleiding=aanleiding, geforceerd=force, ontvangers=", ".join(inst.recipients),
                        aangemaakt=moment, bijgewerkt=moment, pid=os.getpid(),
                    )).inserted_primary_key
                if sleutel is None:  # SQLAlchemy types it optional; an INSERT always has one
                    raise PmiekError(f"no id for the send record of {kwartaal}")
                rij_id = sleutel[0]
            except IntegrityError:
                raise InputError(f"a send of {kwartaal} is already in progress",
                                 f"Het kwartaaloverzicht {kwartaal} wordt al verzonden.") from None
        log.info("sending quarterly report", extra={"fields": {
            "quarter": kwartaal, "transport": transport.naam, "message_id": message_id, "record": rij_id}})
        controle = (f"Controleer de ontvangst (Message-ID {message_id}); daarna 'pmiek report --quarter {kwartaal} "
                    f"--mark-sent' of '--send --force'.")
        def overdracht(bezig: bool) -> None:
            self._zet_status(rij_id, OVERGEDRAGEN if bezig else VERZENDEN)

        try:
            resultaat = transport.verzend(bericht, overdracht)
        except OnzekereVerzending as exc:
            self._zet(rij_id, CONTROLEREN, melding=f"{exc.melding} {controle}")
            raise
        except PmiekError as exc:
            # Transient after the bounded retries, or final: either way nothing was delivered.
            self._zet(rij_id, MISLUKT, melding=exc.melding)
            raise
        except Exception as exc:
            # A failure we did not foresee tells nothing about delivery: treat it as uncertain.
            log.exception("unexpected failure while sending", extra={"fields": {"quarter": kwartaal}})
            melding = (f"Verzenden liep vast op een onverwachte fout ({type(exc).__name__}); of het bericht is "
                       f"aangekomen is onbekend. {controle}")
            self._zet(rij_id, CONTROLEREN, melding=melding)
            raise OnzekereVerzending(f"send of {kwartaal} failed unexpectedly: {exc!r}", melding) from exc
        except BaseException:
            # Ctrl+C or SIGTERM in the middle: the record says how far it got, then the stop goes on.
            self._afgebroken(rij_id, kwartaal, controle)
            raise
        self._zet(rij_id, VERZONDEN, detail=resultaat.detail)
        return self._vastgelegd(kwartaal)

    def markeer_verzonden(self, kwartaal: str) -> dict:
        """A person checked that an uncertain send did arrive."""
        lock = self._lock()
        try:
            vorige = self.laatste(kwartaal)
            if vorige is None or vorige["status"] not in (CONTROLEREN, VERZENDEN, OVERGEDRAGEN, MISLUKT):
                raise InputError(f"nothing to confirm for {kwartaal}",
                                 f"Er is voor {kwartaal} geen onzekere verzending om te bevestigen.")
            self._zet(vorige["id"], VERZONDEN, detail=(vorige["detail"] or "") + " (handmatig bevestigd)")
            return self._vastgelegd(kwartaal)
        finally:
            lock.release()

    def status_regels(self, aantal: int = 4) -> list[str]:
        """Dutch lines for `pmiek status`: the last quarters' send state."""
        per_kwartaal: dict[str, dict] = {}
        verzonden: dict[str, dict] = {}
        for rij in self.verzendingen():
            per_kwartaal[rij["kwartaal"]] = rij
            if rij["status"] == VERZONDEN:
                verzonden[rij["kwartaal"]] = rij
        regels = []
        for kw in sorted(per_kwartaal, reverse=True)[:aantal]:
            rij = per_kwartaal[kw]
            tijd = rij["bijgewerkt"].astimezone(self.tz).strftime("%d-%m-%Y %H:%M")
            eerder = verzonden.get(kw)
            regels.append(f"- {kw}: {STATUS_NL.get(rij['status'], rij['status'])} via {rij['transport']} ({tijd})"
                          + (" [opnieuw verzonden met --force]" if rij["geforceerd"] else "")
                          + (f"; eerder verzonden op {eerder['bijgewerkt'].astimezone(self.tz):%d-%m-%Y %H:%M}"
                             if eerder is not None and eerder is not rij else ""))
            if rij["status"] in (MISLUKT, CONTROLEREN) and rij["melding"]:
                regels.append(f"    {rij['melding']}")
        return regels


class AlVerzonden(InputError):
    def __init__(self, kwartaal: str, rij: dict, tz: dt.tzinfo | None = None) -> None:
        tijd = rij["bijgewerkt"].astimezone(tz or ZoneInfo(STANDAARD_TIJDZONE)).strftime("%d-%m-%Y %H:%M")
        super().__init__(f"quarter {kwartaal} was already sent (record {rij['id']})",
                         f"Het kwartaaloverzicht {kwartaal} is al verzonden op {tijd} via {rij['transport']}. "
                         "Gebruik --force om het nogmaals te verzenden.")
        self.rij = rij


def te_rapporteren_kwartaal(moment: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """The quarterly run reports on the quarter that just ended (in the configured zone `tz`)."""
    dag = lokale_datum(moment, tz)
    return vorig_kwartaal(kwartaal_code(dag))


def voor_config(config: Any, alleen_lezen: bool = False) -> tuple[Kwartaalrapport, Any]:
    """The report on the config's store; `alleen_lezen` (a preview) never changes the store."""
    from sync.store import open_store
    from sync.storespoor import controleer_aanwezig
    controleer_aanwezig(config)  # a store that was there and is gone is not made anew by a send
    store = open_store(config.store_url, alleen_lezen=alleen_lezen)
    lock = config.lock_path.with_name(config.lock_path.name.replace(".lock", ".rapport.lock"))
    return Kwartaalrapport(store.engine, store, lock, config.sync.timezone, nabij_maanden=config.sync.nabij_maanden,
                           tolerantie_maanden=config.lijsten.tolerantie_maanden), store


def geplande_rapportage(config_pad: str) -> None:
    """The scheduled job (module level, plain argument: APScheduler pickles it): a fresh sync,
    then the report on the quarter that just ended, exactly once. Never raises into the scheduler."""
    from sync.config import laad_config
    from sync.synchronisatie import sync_eenmalig
    try:
        config = laad_config(config_pad)
        inst = config.report
        try:
            sync_eenmalig(config, aanleiding="gepland", voortgang=False)
        except PmiekError as exc:
            # A failed sync leaves the store as the last good run: report on that, and say so in the log.
            log.error("sync before the quarterly report failed; reporting on the last good state",
                      extra={"fields": {"error": str(exc)}})
        kwartaal = te_rapporteren_kwartaal(nu(), config.sync.tz)
        from sync import herhaling as stoppen
        if stoppen.gestopt():
            # Nothing recorded: the due check at the next start sends it (sync.kwartaal.inhalen).
            log.info("service stopping: the quarterly report is sent after the next start",
                     extra={"fields": {"quarter": kwartaal}})
            return
        rapport, store = voor_config(config)
        try:
            rapport.verstuur(kwartaal, inst, maak_transport(inst, config), aanleiding="gepland")
        finally:
            store.close()
        log.info("scheduled quarterly report sent", extra={"fields": {"quarter": kwartaal}})
    except (AlVerzonden, AlInOutbox) as exc:
        log.info("scheduled quarterly report skipped: already sent", extra={"fields": {"error": str(exc)}})
    except PmiekError as exc:
        log.error("scheduled quarterly report failed", extra={"fields": {"error": str(exc)}})
    except Exception:  # noqa: BLE001 - the service must keep running
        log.exception("scheduled quarterly report failed unexpectedly")
