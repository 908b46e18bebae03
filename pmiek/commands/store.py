"""`pmiek store`: the store itself. `backup` makes a checked backup of a SQLite store, `restore`
puts one back (the latest by default); the work is in `sync.reservekopie`."""

from __future__ import annotations

from pathlib import Path

from fiche.errors import InputError


def register(sub) -> None:
    p = sub.add_parser("store", help="de database: reservekopie maken of terugzetten")
    opdrachten = p.add_subparsers(dest="store_opdracht", metavar="OPDRACHT", title="opdrachten")
    opdrachten.required = True

    b = opdrachten.add_parser("backup", help="maak een gecontroleerde reservekopie van de database (SQLite)")
    _bron(b)
    b.set_defaults(func=backup)

    r = opdrachten.add_parser("restore", help="zet een reservekopie terug (standaard de nieuwste); de huidige "
                                              "database wordt apart gezet, niet gewist")
    r.add_argument("backup", nargs="?", type=Path, metavar="BESTAND", help="de reservekopie (standaard de nieuwste)")
    _bron(r)
    r.set_defaults(func=restore)


def _bron(p) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--config", type=Path, help="configuratiebestand (TOML)")
    g.add_argument("--store", type=Path, help="databasebestand (SQLite), zonder configuratie")


def _locatie(args):
    from sync.config import laad_config
    from sync.reservekopie import StoreLocatie
    if args.config is not None:
        return StoreLocatie.uit_config(laad_config(args.config))
    if args.store.is_dir():
        raise InputError(f"store {args.store} is a directory", f"De database {args.store} is een map, geen bestand.")
    return StoreLocatie.uit_pad(args.store)


def backup(args) -> int:
    from sync.reservekopie import maak_reservekopie
    loc = _locatie(args)
    doel = maak_reservekopie(loc)
    print(f"Reservekopie gemaakt en gecontroleerd: {doel}")
    print(f"  (de nieuwste {loc.bewaren} reservekopieën in {loc.backup_map} worden bewaard)")
    return 0


def restore(args) -> int:
    from sync.reservekopie import zet_terug
    loc = _locatie(args)
    kopie, apart = zet_terug(loc, args.backup)
    print(f"Reservekopie {kopie} teruggezet als {loc.pad}.")
    if apart is not None:
        print(f"  De vervangen database staat apart in {apart}.")
    print("  Wijzigingen in de fiches sinds de reservekopie komen bij de volgende synchronisatie weer binnen.")
    return 0
