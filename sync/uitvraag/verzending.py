"""Sending a round: exactly once per project per kind of message, rate-limited, over the
quarterly e-mail's transports (`sync.kwartaal.transport`: outbox, SMTP, Graph).

One run (`Uitvraag.verwerk`, from `pmiek uitvraag --send` or the scheduled job) decides from the
calendar (`kalender`) and the records (`tabellen`) alone what is due today, so a service that was
down catches up on its next run:
- the request to every project of the portfolio that has none yet, until the deadline (a project
  that appears during the round is asked too);
- the latest reminder that is due, to each voorzitter asked before whose project has not validly
  delivered since the round opened;
- after the deadline, one notice to the project leader naming who did not deliver.

**Exactly once.** Per message, under the store's uitvraag lock (`sync.vergrendeling`; one sender at a time):
the record (unique on round, project, kind) is committed as `verzenden` with the Message-ID
*before* the transport gets the message; then it becomes `verzonden`, or `mislukt` (nothing was
delivered: tried again on the next run). A process killed mid-batch leaves every message it
finished as `verzonden` and at most one as `verzenden`; the next run sends the rest and settles
that one by asking the transport: the outbox can tell (the message is sent again only if it is
absent), SMTP and Graph cannot: the record becomes `controleren` and nothing is resent
automatically (a duplicate is worse than a person checking one message). A project without a
voorzitter (or without an address) gets its request through the project leader; an opted-out
voorzitter is recorded as `overgeslagen`. In test mode every message goes to one address, in a
round of its own ("2027Q1-test").

**Rate.** At most `messages_per_minute`, evenly spaced (a token bucket of one), waiting on the
service's stop event, so stopping the service never waits for a batch of 200.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from fiche.datums import datum_nl, kwartaal_grenzen, lokale_datum
from fiche.errors import InputError, PmiekError
from sync.config import STANDAARD_TIJDZONE, ReportConfig, UitvraagConfig
from sync.herhaling import wacht_onderbreekbaar
from sync.kwartaal.transport import OnzekereVerzending, TijdelijkeVerzendFout, Transport, schrijf_preview
from sync.store import Store, open_store
from sync.uitvraag import bericht as mail
from sync.uitvraag.kalender import DEADLINE, VERZOEK, Planning, herinnering, planning
from sync.uitvraag.stand import (
    CONTROLEREN,
    MISLUKT,
    OVERGESLAGEN,
    VERZENDEN,
    VERZONDEN,
    ProjectUitvraag,
    berichten,
    projecten,
    ronde,
)
from sync.uitvraag.tabellen import RONDE_PROJECT, uitvraag_berichten, uitvraag_rondes
from sync.vergrendeling import Bezet, Slot, slot_in

log = logging.getLogger("pmiek.sync.uitvraag")


def nu() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Tempo:
    """At most `per_minuut` messages a minute: a token bucket of one token, refilled every
    60/per_minuut seconds. `wacht` returns False when the service stopped while waiting."""

    def __init__(self, per_minuut: float, slaap: Callable[[float], bool] = wacht_onderbreekbaar) -> None:
        self.interval = 60.0 / per_minuut
        self.slaap = slaap
        self.volgende: float | None = None

    def wacht(self) -> bool:
        nu_ = time.monotonic()
        if self.volgende is not None and self.volgende > nu_:
            if not self.slaap(self.volgende - nu_):
                return False
            nu_ = time.monotonic()
        self.volgende = max(nu_, self.volgende or nu_) + self.interval
        return True


@dataclass
class Taak:
    project: str
    projectnaam: str | None
    soort: str
    #: (message_id, date) -> the message; None: no longer due, only an interrupted record to settle.
    maak: Callable[[str | None, dt.datetime | None], EmailMessage] | None
    afgemeld: bool = False
    vorige: dict | None = None  # the record to continue (mislukt, or an interrupted one)


@dataclass
class Uitslag:
    ronde: str
    deadline: dt.date
    verzonden: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, project name, to)
    mislukt: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, project name, Dutch reason)
    controleren: list[tuple[str, str]] = field(default_factory=list)
    overgeslagen: list[tuple[str, str]] = field(default_factory=list)
    gestopt: bool = False


class Uitvraag:
    """The round of one store. `rp` gives the sender (`[report] sender`); `inst` the round's settings."""

    def __init__(self, store, inst: UitvraagConfig, rp: ReportConfig, lock_pad: Path,
                 tijdzone: str = STANDAARD_TIJDZONE, tempo: Tempo | None = None) -> None:
        self.store, self.engine = store, store.engine
        self.inst, self.rp = inst, rp
        self.lock_pad = lock_pad
        self.tijdzone, self.tz = tijdzone, ZoneInfo(tijdzone)
        self.tempo = tempo or Tempo(inst.messages_per_minute)

    def ronde_code(self, kwartaal: str) -> str:
        return f"{kwartaal}-test" if self.inst.test_adres_actief else kwartaal

    def planning(self, kwartaal: str) -> Planning:
        r = ronde(self.engine, self.ronde_code(kwartaal))
        return planning(kwartaal, self.inst, r["deadline"] if r else None)

    def opmaak(self, kwartaal: str, plan: Planning) -> mail.Opmaak:
        return mail.Opmaak(kwartaal=kwartaal, deadline=plan.deadline, afzender=self.rp.sender,
                           projectleider=list(self.inst.project_leader), template_link=self.inst.template_link,
                           test_adres=self.inst.test_address)

    def _cc(self, p: ProjectUitvraag) -> list[str]:
        return [a for a in p.cc if not self.inst.afgemeld(a)] if self.inst.cc_team else []

    def _bouwer(self):
        from sync.overzicht_bouw import OverzichtBouwer  # (it imports sync.uitvraag.stand)
        return OverzichtBouwer(self.store, self.tijdzone)

    # --- preview ---

    def preview(self, kwartaal: str, map_: Path, moment: dt.datetime | None = None) -> list[Path]:
        """Every message of the round as it would read now (.eml and .html) in `map_`; sends and
        records nothing."""
        moment = moment or nu()
        plan = self.planning(kwartaal)
        o = self.opmaak(kwartaal, plan)
        r = ronde(self.engine, self.ronde_code(kwartaal))
        p_lijst = projecten(self._bouwer(), moment, r["gestart"] if r else None)
        paden = []
        for i, p in enumerate(p_lijst, start=1):
            stam = f"uitvraag-{kwartaal}-{i:02d}"
            paden.append(schrijf_preview(mail.verzoek(p, o, cc=self._cc(p), datum=moment), map_,
                                         f"{stam}-verzoek")["eml"])
            if not p.geleverd and p.zonder_voorzitter is None:
                paden.append(schrijf_preview(mail.verzoek(p, o, cc=self._cc(p), herinnering=True, datum=moment),
                                             map_, f"{stam}-herinnering")["eml"])
        niet = self._niet_geleverd(p_lijst, {})
        paden.append(schrijf_preview(mail.deadline_melding(o, niet, len(p_lijst) - len(niet), len(p_lijst),
                                                           datum=moment), map_, f"uitvraag-{kwartaal}-deadline")["eml"])
        return paden

    # --- sending ---

    def _lock(self) -> Slot:
        # PostgreSQL: an advisory lock in the store's database (two services may share it).
        lock = slot_in(self.engine.url, "uitvraag", self.lock_pad)
        try:
            lock.acquire(60)
        except Bezet:
            raise InputError(f"another process is sending the uitvraag ({self.lock_pad})",
                             "De uitvraag wordt al verzonden vanaf deze database; probeer het later opnieuw.") from None
        return lock

    def verwerk(self, kwartaal: str, transport: Transport, *, starten: bool = False, aanleiding: str = "handmatig",
                moment: dt.datetime | None = None) -> Uitslag:
        """Send what is due today in the round of `kwartaal`. `starten`: open the round now even
        before its request date (a person's --send); the scheduled job opens it on that date."""
        lock = self._lock()
        try:
            return self._verwerk(kwartaal, transport, starten, aanleiding, moment or nu())
        finally:
            lock.release()

    def herstel(self, kwartaal: str, opnieuw: bool) -> list[dict]:
        """After a person checked: the round's `controleren` records confirmed as delivered, or
        (`opnieuw`) released to be sent again by the next run. Returns the records changed."""
        lock = self._lock()
        try:
            rijen = [r for r in berichten(self.engine, self.ronde_code(kwartaal)) if r["status"] == CONTROLEREN]
            for r in rijen:
                if opnieuw:
                    self._zet(r["id"], MISLUKT, melding="Na controle vrijgegeven om opnieuw te verzenden.")
                else:
                    self._zet(r["id"], VERZONDEN, detail=(r["detail"] or "") + " (handmatig bevestigd)")
            return rijen
        finally:
            lock.release()

    def _open(self, code: str, kwartaal: str, plan: Planning, moment: dt.datetime, aanleiding: str) -> dict:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(uitvraag_rondes).values(
                    ronde=code, kwartaal=kwartaal, deadline=plan.deadline, gestart=moment, aanleiding=aanleiding,
                    test=self.inst.test_adres_actief))
            log.info("uitvraag round opened", extra={"fields": {
                "round": code, "deadline": plan.deadline.isoformat(), "trigger": aanleiding}})
        except IntegrityError:
            pass  # opened by another process just now: theirs counts
        r = ronde(self.engine, code)
        if r is None:
            raise PmiekError(f"uitvraag round {code} missing right after opening it")
        return r

    def _verwerk(self, kwartaal: str, transport: Transport, starten: bool, aanleiding: str,
                 moment: dt.datetime) -> Uitslag:
        code = self.ronde_code(kwartaal)
        vandaag = lokale_datum(moment, self.tz)
        plan = self.planning(kwartaal)
        uitslag = Uitslag(code, plan.deadline)
        r = ronde(self.engine, code)
        if r is None:
            if kwartaal_grenzen(kwartaal)[0] > vandaag:
                raise InputError(f"quarter {kwartaal} has not started", f"Kwartaal {kwartaal} is nog niet begonnen.")
            if vandaag > plan.deadline:
                if not starten:
                    return uitslag
                raise InputError(f"the deadline of {kwartaal} ({plan.deadline}) has passed",
                                 f"De deadline van de uitvraag {kwartaal} ({datum_nl(plan.deadline)}) is voorbij; "
                                 "er is geen ronde meer gestart.")
            if not (starten or plan.verzoek_open(vandaag)):
                return uitslag
            r = self._open(code, kwartaal, plan, moment, aanleiding)
        o = self.opmaak(kwartaal, plan)
        p_lijst = projecten(self._bouwer(), moment, r["gestart"])
        records = {(x["project"], x["soort"]): x for x in berichten(self.engine, code)}
        for taak in self._taken(p_lijst, records, plan, vandaag, o):
            if not self._een(code, taak, transport, uitslag, moment):
                break
        log.info("uitvraag run done", extra={"fields": {
            "round": code, "sent": len(uitslag.verzonden), "failed": len(uitslag.mislukt),
            "to_check": len(uitslag.controleren), "stopped": uitslag.gestopt}})
        return uitslag

    def _taken(self, p_lijst: list[ProjectUitvraag], records: dict, plan: Planning, vandaag: dt.date,
               o: mail.Opmaak) -> list[Taak]:
        taken: list[Taak] = []

        def voeg_toe(project: str, naam: str | None, soort: str, maak, afgemeld: bool = False) -> None:
            vorige = records.get((project, soort))
            if vorige is None or vorige["status"] in (MISLUKT, VERZENDEN):
                taken.append(Taak(project, naam, soort, maak, afgemeld, vorige))

        if vandaag <= plan.deadline:
            for p in p_lijst:
                afgemeld = p.zonder_voorzitter is None and self.inst.afgemeld(p.voorzitter_email)
                voeg_toe(p.sleutel, p.projectnaam, VERZOEK,
                         lambda mid, d, p=p: mail.verzoek(p, o, cc=self._cc(p), message_id=mid, datum=d), afgemeld)
        dagen = plan.herinnering_nu(vandaag)
        if dagen is not None:
            for p in p_lijst:
                gevraagd = records.get((p.sleutel, VERZOEK))
                if (p.geleverd or p.zonder_voorzitter is not None or gevraagd is None
                        or gevraagd["status"] != VERZONDEN):
                    continue
                voeg_toe(p.sleutel, p.projectnaam, herinnering(dagen),
                         lambda mid, d, p=p: mail.verzoek(p, o, cc=self._cc(p), herinnering=True, message_id=mid,
                                                          datum=d),
                         self.inst.afgemeld(p.voorzitter_email))
        if plan.deadline_voorbij(vandaag):
            niet = self._niet_geleverd(p_lijst, records)
            voeg_toe(RONDE_PROJECT, None, DEADLINE,
                     lambda mid, d: mail.deadline_melding(o, niet, len(p_lijst) - len(niet), len(p_lijst),
                                                          message_id=mid, datum=d))
        # An interrupted message that is no longer due (a reminder whose day passed) is settled too.
        gepland = {(t.project, t.soort) for t in taken}
        for sleutel, rij in records.items():
            if rij["status"] == VERZENDEN and sleutel not in gepland:
                taken.append(Taak(rij["project"], rij["projectnaam"], rij["soort"], None, vorige=rij))
        return taken

    def _niet_geleverd(self, p_lijst: list[ProjectUitvraag], records: dict) -> list[tuple[ProjectUitvraag, str]]:
        uit = []
        for p in p_lijst:
            if p.geleverd:
                continue
            if p.zonder_voorzitter:
                reden = f"{p.zonder_voorzitter[0].upper()}{p.zonder_voorzitter[1:]} (verzoek aan u gestuurd)."
            elif (x := records.get((p.sleutel, VERZOEK))) is not None and x["status"] == OVERGESLAGEN:
                reden = "Afgemeld voor deze berichten (opt-out); niet gevraagd."
            elif p.laatste_geweigerd:
                reden = "De nieuwste versie is afgekeurd bij de controle."
            else:
                reden = "Geen nieuwe versie ontvangen sinds het begin van de uitvraag."
            uit.append((p, reden))
        return uit

    # --- one message ---

    def _zet(self, rij_id: int, status: str, detail: str | None = None, melding: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(uitvraag_berichten).where(uitvraag_berichten.c.id == rij_id)
                         .values(status=status, bijgewerkt=nu(), detail=detail, melding=melding))

    def _claim(self, code: str, taak: Taak, bericht: EmailMessage, transport: Transport, status: str,
               moment: dt.datetime) -> int:
        """Commit the record before anything leaves; returns its id."""
        waarden = dict(ontvanger=str(bericht["To"]), cc=str(bericht["Cc"]) if bericht["Cc"] else None,
                       message_id=str(bericht["Message-ID"]), transport=transport.naam, status=status,
                       bijgewerkt=moment, pid=os.getpid(), projectnaam=taak.projectnaam, detail=None, melding=None)
        with self.engine.begin() as conn:
            if taak.vorige is not None:
                conn.execute(update(uitvraag_berichten).where(uitvraag_berichten.c.id == taak.vorige["id"])
                             .values(pogingen=uitvraag_berichten.c.pogingen + 1, **waarden))
                return int(taak.vorige["id"])
            sleutel = conn.execute(insert(uitvraag_berichten).values(
                ronde=code, project=taak.project, soort=taak.soort, aangemaakt=moment, pogingen=1, **waarden,
            )).inserted_primary_key
        if sleutel is None:
            raise PmiekError("no id for the uitvraag record")
        return int(sleutel[0])

    def _een(self, code: str, taak: Taak, transport: Transport, uitslag: Uitslag, moment: dt.datetime) -> bool:
        """Handle one task; False when the batch must stop (the server is in trouble, or the service stops)."""
        naam = taak.projectnaam or "projectleider"
        vorige = taak.vorige
        message_id = None
        if vorige is not None and vorige["status"] == VERZENDEN:
            # Only a dead process leaves this behind: we hold the lock.
            oordeel = transport.al_verzonden(vorige["message_id"]) if transport.naam == vorige["transport"] else None
            if oordeel is True:
                self._zet(vorige["id"], VERZONDEN, detail="na herstart bevestigd")
                uitslag.verzonden.append((taak.soort, naam, vorige["ontvanger"]))
                return True
            if oordeel is None:
                melding = (f"Het verzenden werd onderbroken (proces gestopt) terwijl het bericht via "
                           f"{vorige['transport']} werd afgeleverd; of het is aangekomen is onbekend (Message-ID "
                           f"{vorige['message_id']}). Er wordt niet automatisch opnieuw verzonden: controleer de "
                           "ontvangst, dan 'pmiek uitvraag --mark-sent' of '--resend-uncertain'.")
                self._zet(vorige["id"], CONTROLEREN, melding=melding)
                log.error("interrupted uitvraag message cannot be verified; marked for a manual check",
                          extra={"fields": {"round": code, "kind": taak.soort, "project": taak.project}})
                uitslag.controleren.append((taak.soort, naam))
                return True
            if taak.maak is None:
                self._zet(vorige["id"], MISLUKT, melding="Onderbroken en niet afgeleverd; niet meer aan de beurt.")
                return True
            message_id = vorige["message_id"]  # not delivered: the same message now
        if taak.maak is None:
            return True
        if taak.afgemeld:
            bericht = taak.maak(message_id, moment)
            rij = self._claim(code, taak, bericht, transport, OVERGESLAGEN, moment)
            self._zet(rij, OVERGESLAGEN, melding="Afgemeld (opt-out): niet verzonden.")
            uitslag.overgeslagen.append((taak.soort, naam))
            return True
        if not self.tempo.wacht():
            uitslag.gestopt = True
            return False
        datum = nu()
        bericht = taak.maak(message_id, datum)
        rij = self._claim(code, taak, bericht, transport, VERZENDEN, datum)
        try:
            resultaat = transport.verzend(bericht)
        except OnzekereVerzending as exc:
            self._zet(rij, CONTROLEREN, melding=exc.melding)
            uitslag.controleren.append((taak.soort, naam))
            return False
        except TijdelijkeVerzendFout as exc:
            self._zet(rij, MISLUKT, melding=exc.melding)
            uitslag.mislukt.append((taak.soort, naam, exc.melding))
            return False  # the server refuses for now: the rest waits for the next run
        except PmiekError as exc:
            self._zet(rij, MISLUKT, melding=exc.melding)
            uitslag.mislukt.append((taak.soort, naam, exc.melding))
            return True  # this message was refused (an address, say); the next may go
        except Exception as exc:
            log.exception("unexpected failure while sending an uitvraag message")
            self._zet(rij, CONTROLEREN, melding=f"Onverwachte fout ({type(exc).__name__}); of het bericht is "
                                                  "aangekomen is onbekend.")
            uitslag.controleren.append((taak.soort, naam))
            return False
        self._zet(rij, VERZONDEN, detail=resultaat.detail)
        uitslag.verzonden.append((taak.soort, naam, str(bericht["To"])))
        log.info("uitvraag message sent", extra={"fields": {
            "round": code, "kind": taak.soort, "project": taak.project, "transport": transport.naam}})
        return True


# --- from the config, and the scheduled job ----------------------------------------------------

JOB_ID = "pmiek-uitvraag"


def voor_config(config, alleen_lezen: bool = False, test_address: str | None = None) -> tuple[Uitvraag, Store]:
    """The round on the config's store (and the store, to close); `test_address` (`--test`) sends
    everything to one address."""
    from sync.storespoor import controleer_aanwezig
    controleer_aanwezig(config)  # a store that was there and is gone is not made anew by a round
    store = open_store(config.store_url, alleen_lezen=alleen_lezen)
    lock = config.lock_path.with_name(config.lock_path.name.replace(".lock", ".uitvraag.lock"))
    inst = dataclasses.replace(config.uitvraag, test_address=test_address) if test_address else config.uitvraag
    return Uitvraag(store, inst, config.report, lock, config.sync.timezone), store


def geplande_uitvraag(config_pad: str) -> None:
    """The scheduled job (module level, plain argument: APScheduler pickles it): what is due
    today in the running quarter's round, and the previous quarter's notice when that is still
    owed. Never raises into the scheduler."""
    from fiche.datums import kwartaal, vorig_kwartaal
    from sync.config import laad_config
    from sync.kwartaal.rapportage import maak_transport
    try:
        config = laad_config(config_pad)
        if not config.uitvraag.enabled:
            return
        uitvraag, store = voor_config(config)
        try:
            transport = maak_transport(config.report, config)
            huidig = kwartaal(lokale_datum(nu(), config.sync.tz))
            for code in (vorig_kwartaal(huidig), huidig):
                uitslag = uitvraag.verwerk(code, transport, aanleiding="gepland")
                if uitslag.gestopt:
                    break
        finally:
            store.close()
    except PmiekError as exc:
        log.error("scheduled uitvraag failed", extra={"fields": {"error": str(exc)}})
    except Exception:  # noqa: BLE001 - the service must keep running
        log.exception("scheduled uitvraag failed unexpectedly")
