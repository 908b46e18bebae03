"""`pmiek report`: the quarterly e-mail to the Energy Board, as a preview or sent (once)."""

from __future__ import annotations

import sys
from pathlib import Path

from fiche.errors import InputError, oorzaak_nl
from pmiek.commands import config_of_store, store_zonder_config
from pmiek.stoppen import exitcode, signaal_nl, sigterm_als_onderbreking


def register(sub) -> None:
    p = sub.add_parser("report", help="kwartaaloverzicht voor de Energy Board: voorbeeld schrijven of verzenden")
    p.add_argument("--quarter", metavar="KWARTAAL",
                   help="kwartaal, bijv. 2026Q4 (standaard: het laatst afgesloten kwartaal)")
    actie = p.add_mutually_exclusive_group(required=True)
    actie.add_argument("--preview", type=Path, metavar="MAP",
                       help="schrijf de e-mail (.eml, .html, tijdlijn, masterwerkboek) in MAP; verzendt niets")
    actie.add_argument("--send", action="store_true",
                       help="verzend via het ingestelde transport (één keer per kwartaal)")
    actie.add_argument("--mark-sent", action="store_true",
                       help="bevestig dat een onzekere verzending toch is aangekomen (na handmatige controle)")
    p.add_argument("--force", action="store_true",
                   help="verzend ook als dit kwartaal al is verzonden, of nog loopt (dan geldt dit overzicht als "
                        "dat van het kwartaal en vervalt de geplande verzending)")
    p.add_argument("--config", type=Path, help="configuratiebestand (TOML)")
    p.add_argument("--store", metavar="BESTAND|URL",
                   help="databasebestand (SQLite) of database-URL (postgresql+psycopg://...) van de "
                        "synchronisatie, zonder configuratie")
    p.add_argument("--outbox", type=Path, metavar="MAP", help="met --store: map waarin --send de e-mail aflevert")
    p.set_defaults(func=run)


def _opzet(args):
    """(Kwartaalrapport, store, settings, transport factory) from --config or --store/--outbox."""
    from sync.kwartaal import rapportage as kr
    from sync.store import open_store

    config = config_of_store(args)
    if config is not None:
        rapport, store = kr.voor_config(config, alleen_lezen=args.preview is not None)
        return rapport, store, config.report, lambda: kr.maak_transport(config.report, config)
    url, lock, inst = store_zonder_config(args, "rapport")
    # A preview only looks: it never upgrades (or otherwise changes) the store.
    store = open_store(url, aanmaken=False, alleen_lezen=args.preview is not None)
    return kr.Kwartaalrapport(store.engine, store, lock), store, inst, lambda: kr.maak_transport(inst)


def run(args) -> int:
    from sync.kwartaal import rapportage as kr

    if args.force and not args.send:
        raise InputError("--force only applies to --send", "--force hoort bij --send.")
    moment = kr.nu()
    kwartaal = (kr.controleer_kwartaal(args.quarter, kr.lokale_datum(moment)) if args.quarter is not None
                else kr.te_rapporteren_kwartaal(moment))
    rapport, store, inst, transport = _opzet(args)
    from sync.storebewaking import fouten_vertaald
    try:
        with fouten_vertaald(str(store.engine.url), args.config):  # a damaged or full store: Dutch, no traceback
            return _voer_uit(args, rapport, inst, transport, kwartaal, moment)
    finally:
        store.close()


def _voer_uit(args, rapport, inst, transport, kwartaal: str, moment) -> int:
    """The preview, the confirmation or the send itself."""
    from sync.kwartaal import rapportage as kr
    if args.preview is not None:
        try:
            paden = rapport.preview(kwartaal, args.preview, inst, moment)
        except OSError as exc:
            raise InputError(f"cannot write preview to {args.preview}: {exc}",
                             f"De map {args.preview} is niet beschrijfbaar ({oorzaak_nl(exc)}).") from None
        print(f"Kwartaaloverzicht {kwartaal} geschreven (niet verzonden):")
        print(f"  e-mail:          {paden['eml']}")
        print(f"  voorbeeld (web): {paden['html']}")
        print(f"  masterwerkboek:  {paden['master']}")
        return 0
    if args.mark_sent:
        rij = rapport.markeer_verzonden(kwartaal)
        print(f"Kwartaaloverzicht {kwartaal} gemarkeerd als verzonden (Message-ID {rij['message_id']}).")
        return 0
    try:
        with sigterm_als_onderbreking():
            rij = rapport.verstuur(kwartaal, inst, transport(), force=args.force, aanleiding="handmatig",
                                   moment=moment)
    except KeyboardInterrupt as exc:
        # The send record says how far it got (sync.kwartaal.rapportage); `pmiek status` shows it.
        print(f"Verzenden van {kwartaal} afgebroken ({signaal_nl(exc)}); zie 'pmiek status' voor wat er is "
              "vastgelegd.", file=sys.stderr, flush=True)
        return exitcode(exc)
    print(f"Kwartaaloverzicht {kwartaal} verzonden via {rij['transport']} aan {rij['ontvangers']}.")
    if rij.get("detail"):
        print(f"  {rij['detail']}")
    eind, vandaag = kr.kwartaal_grenzen(kwartaal)[1], kr.lokale_datum(moment)
    if eind >= vandaag:  # only with --force: said again, so the person knows what it did
        print(f"  Let op: {kwartaal} loopt nog tot en met {kr.datum_nl(eind)}. Dit overzicht (peildatum "
              f"{kr.datum_nl(vandaag)}) geldt nu als het overzicht van {kwartaal}; het geplande "
              "overzicht na afloop van het kwartaal wordt daarom niet meer verzonden.")
    return 0

