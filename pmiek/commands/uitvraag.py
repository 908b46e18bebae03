"""`pmiek uitvraag`: the quarterly round to the voorzitters, as a preview or sent (what is due
today: requests, the latest reminder, the project leader's notice after the deadline)."""

from __future__ import annotations

from pathlib import Path

from fiche.errors import InputError, oorzaak_nl
from pmiek.commands import config_of_store, store_zonder_config

SOORT_NL = {"verzoek": "verzoek", "deadline": "melding aan de projectleider"}


def _soort(soort: str) -> str:
    if soort.startswith("herinnering-"):
        return f"herinnering ({soort.split('-', 1)[1]} dagen voor de deadline)"
    return SOORT_NL.get(soort, soort)


def register(sub) -> None:
    p = sub.add_parser("uitvraag", help="uitvraag aan de voorzitters: voorbeeld schrijven of verzenden wat nu aan de "
                                        "beurt is")
    p.add_argument("--quarter", metavar="KWARTAAL", help="kwartaal, bijv. 2027Q1 (standaard: het lopende kwartaal)")
    actie = p.add_mutually_exclusive_group(required=True)
    actie.add_argument("--preview", type=Path, metavar="MAP",
                       help="schrijf alle berichten van de ronde (.eml en .html) in MAP; verzendt niets")
    actie.add_argument("--send", action="store_true",
                       help="start de ronde (als dat nog niet gebeurde) en verzend wat nu aan de beurt is, elk "
                            "bericht één keer")
    actie.add_argument("--mark-sent", action="store_true",
                       help="bevestig dat de onzekere berichten (status 'controleren') toch zijn aangekomen")
    actie.add_argument("--resend-uncertain", action="store_true",
                       help="geef de onzekere berichten vrij: de volgende --send (of de dienst) verzendt ze opnieuw")
    p.add_argument("--config", type=Path, help="configuratiebestand (TOML)")
    p.add_argument("--store", metavar="BESTAND|URL",
                   help="databasebestand (SQLite) of database-URL (postgresql+psycopg://...) van de "
                        "synchronisatie, zonder configuratie")
    p.add_argument("--outbox", type=Path, metavar="MAP", help="met --store: map waarin --send de berichten aflevert")
    p.add_argument("--test", metavar="ADRES", help="testmodus: alle berichten naar dit ene adres (eigen testronde)")
    p.set_defaults(func=run)


def _opzet(args):
    """(Uitvraag, store, transport factory) from --config or --store/--outbox."""
    from sync.config import UitvraagConfig, _controleer_adressen
    from sync.kwartaal import rapportage as kr
    from sync.store import open_store
    from sync.uitvraag.verzending import Uitvraag, voor_config

    if args.test:
        _controleer_adressen("--test", [args.test])
    config = config_of_store(args)
    if config is not None:
        uitvraag, store = voor_config(config, alleen_lezen=args.preview is not None, test_address=args.test)
        return uitvraag, store, lambda: kr.maak_transport(config.report, config)
    url, lock, rp = store_zonder_config(args, "uitvraag")
    inst = UitvraagConfig(project_leader=list(rp.recipients), test_address=args.test)
    store = open_store(url, aanmaken=False, alleen_lezen=args.preview is not None)
    return Uitvraag(store, inst, rp, lock), store, lambda: kr.maak_transport(rp)


def run(args) -> int:
    from fiche.datums import datum_nl, kwartaal, lokale_datum
    from sync.kwartaal import rapportage as kr

    uitvraag, store, transport = _opzet(args)
    try:
        moment = kr.nu()
        vandaag = lokale_datum(moment, uitvraag.tz)
        code = kr.controleer_kwartaal(args.quarter, vandaag) if args.quarter else kwartaal(vandaag)
        if args.preview is not None:
            try:
                paden = uitvraag.preview(code, args.preview, moment)
            except OSError as exc:
                raise InputError(f"cannot write preview to {args.preview}: {exc}",
                                 f"De map {args.preview} is niet beschrijfbaar ({oorzaak_nl(exc)}).") from None
            plan = uitvraag.planning(code)
            print(f"Uitvraag {code} (deadline {datum_nl(plan.deadline)}): {len(paden)} berichten geschreven in "
                  f"{args.preview} (niet verzonden).")
            return 0
        if args.mark_sent or args.resend_uncertain:
            rijen = uitvraag.herstel(code, opnieuw=args.resend_uncertain)
            wat = "vrijgegeven om opnieuw te verzenden" if args.resend_uncertain else "bevestigd als verzonden"
            print(f"Uitvraag {uitvraag.ronde_code(code)}: {len(rijen)} onzekere berichten {wat}.")
            for r in rijen:
                print(f"  {_soort(r['soort'])}, {r['projectnaam'] or 'projectleider'}, aan {r['ontvanger']} "
                      f"(Message-ID {r['message_id']})")
            return 0
        uitslag = uitvraag.verwerk(code, transport(), starten=True, aanleiding="handmatig", moment=moment)
        print(f"Uitvraag {uitslag.ronde} (deadline {datum_nl(uitslag.deadline)}):")
        if not (uitslag.verzonden or uitslag.mislukt or uitslag.controleren or uitslag.overgeslagen):
            print("  Niets aan de beurt: alle berichten van vandaag zijn al verzonden.")
        for soort, naam, aan in uitslag.verzonden:
            print(f"  verzonden: {_soort(soort)}, {naam}, aan {aan}")
        for soort, naam in uitslag.overgeslagen:
            print(f"  overgeslagen (afgemeld): {_soort(soort)}, {naam}")
        for soort, naam, reden in uitslag.mislukt:
            print(f"  mislukt: {_soort(soort)}, {naam}: {reden} (volgende keer opnieuw)")
        for soort, naam in uitslag.controleren:
            print(f"  onzeker, handmatig controleren: {_soort(soort)}, {naam}")
        if uitslag.gestopt:
            print("  Gestopt voordat alles verzonden was; de rest volgt bij de volgende run.")
        return 1 if uitslag.mislukt or uitslag.controleren else 0
    finally:
        store.close()
