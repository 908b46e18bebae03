"""`pmiek store`: the store as a whole: `migrate` (copy it to another database and verify the
copy), `verify` (compare two stores), `readonly-role` (a PostgreSQL role for Power BI that reads
the reporting views only), `backup` (a checked backup of a SQLite store) and `restore` (put one
back, the latest by default). The work is in `sync.store_migratie`, `sync.rapportagetabellen` and
`sync.reservekopie`; these handlers only parse and print."""

from __future__ import annotations

import os
from pathlib import Path

from fiche.errors import InputError, PmiekError


def register(sub) -> None:
    p = sub.add_parser("store", help="de database als geheel: kopiëren naar een andere database, controleren, leesrol, "
                                     "reservekopie maken of terugzetten")
    acties = p.add_subparsers(dest="store_actie", metavar="ACTIE", title="acties")
    acties.required = True

    m = acties.add_parser("migrate", help="kopieer de hele database naar een andere (bijv. SQLite naar PostgreSQL) "
                                          "en controleer de kopie")
    m.add_argument("--from", dest="van", required=True, metavar="URL",
                   help="bron: sqlite:///pad, postgresql+psycopg://gebruiker@server/database, of een bestandspad")
    m.add_argument("--to", dest="naar", required=True, metavar="URL", help="doel (leeg, tenzij --overwrite)")
    m.add_argument("--overwrite", dest="overschrijven", action="store_true",
                   help="een doeldatabase die al gegevens heeft toch vullen: de tabellen van de bron worden vervangen")
    m.set_defaults(func=run_migrate)

    v = acties.add_parser("verify", help="vergelijk twee databases tabel voor tabel (aantallen en hashes)")
    v.add_argument("--from", dest="van", required=True, metavar="URL", help="de oorspronkelijke database")
    v.add_argument("--to", dest="naar", required=True, metavar="URL", help="de kopie")
    v.set_defaults(func=run_verify)

    r = acties.add_parser("readonly-role", help="maak een PostgreSQL-rol die alleen de rapportageviews mag lezen")
    r.add_argument("--store", dest="url", metavar="URL", help="postgresql+psycopg://beheerder@server/database")
    r.add_argument("--name", dest="rol", required=True, help="naam van de rol, bijv. powerbi")
    r.add_argument("--password-env", dest="wachtwoord_env", metavar="VARIABELE",
                   help="omgevingsvariabele met het wachtwoord waarmee de rol inlogt (anders: geen inlog)")
    r.add_argument("--print-sql", dest="alleen_sql", action="store_true",
                   help="toon alleen de SQL-opdrachten, voer niets uit")
    r.set_defaults(func=run_readonly_role)

    b = acties.add_parser("backup", help="maak een gecontroleerde reservekopie van de database (SQLite)")
    _bron(b)
    b.set_defaults(func=backup)

    h = acties.add_parser("restore", help="zet een reservekopie terug (standaard de nieuwste); de huidige "
                                          "database wordt apart gezet, niet gewist")
    h.add_argument("backup", nargs="?", type=Path, metavar="BESTAND", help="de reservekopie (standaard de nieuwste)")
    _bron(h)
    h.set_defaults(func=restore)


def database_url(waarde: str) -> str:
    """A URL as given, or a file path as a SQLite URL; a password in the URL is refused."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from sync.config import sqlite_url
    if "://" not in waarde:
        return sqlite_url(Path(waarde))
    try:
        u = make_url(waarde)
    except ArgumentError:
        raise InputError(f"{waarde!r} is not a database URL", f"{waarde} is geen database-URL.") from None
    if u.password is not None:
        raise InputError("a password on the command line", "Zet geen wachtwoord in de URL: gebruik de "
                         "omgevingsvariabele PGPASSWORD of het wachtwoordbestand ~/.pgpass.")
    return waarde


def _druk(controle) -> None:
    for regel in controle.regels():
        print(regel)


def run_migrate(args) -> int:
    from sync.store_migratie import migreer
    van, naar = database_url(args.van), database_url(args.naar)
    controle = migreer(van, naar, overschrijven=args.overschrijven)
    _druk(controle)
    if not controle.ok:
        raise PmiekError(f"copy differs from the source in {controle.afwijkend}",
                         "De kopie wijkt af van de bron in: " + ", ".join(controle.afwijkend) + ".")
    print(f"Klaar: {len(controle.tabellen)} tabellen gekopieerd en gecontroleerd (aantallen en hashes gelijk).")
    return 0


def run_verify(args) -> int:
    from sync.store_migratie import controleer
    controle = controleer(database_url(args.van), database_url(args.naar))
    _druk(controle)
    if not controle.ok:
        raise PmiekError(f"stores differ in {controle.afwijkend}",
                         "De databases verschillen in: " + ", ".join(controle.afwijkend) + ".")
    print("De databases zijn gelijk (aantallen en hashes).")
    return 0


def run_readonly_role(args) -> int:
    from sync.rapportage_schema import ROLNAAM, leesrol_sql
    if not ROLNAAM.fullmatch(args.rol):
        raise InputError(f"bad role name {args.rol!r}", "De rolnaam mag alleen kleine letters, cijfers en _ bevatten "
                         "(en niet met een cijfer beginnen).")
    if args.alleen_sql:
        database = "DATABASE"
        if args.url:
            from sqlalchemy.engine import make_url
            database = make_url(database_url(args.url)).database or database
        for statement in leesrol_sql(args.rol, database):
            print(statement + ";")
        return 0
    if not args.url:
        raise InputError("--store is required", "Geef --store postgresql+psycopg://beheerder@server/database.")
    url = database_url(args.url)
    if not url.startswith("postgresql"):
        raise InputError("read-only role needs PostgreSQL", "Een leesrol bestaat alleen op PostgreSQL; open een "
                         "SQLite-database alleen-lezen (zie docs/power-bi.md).")
    wachtwoord = None
    if args.wachtwoord_env:
        wachtwoord = os.environ.get(args.wachtwoord_env)
        if not wachtwoord:
            raise InputError(f"{args.wachtwoord_env} is empty", f"De omgevingsvariabele {args.wachtwoord_env} is "
                             "leeg of niet gezet.")
    from sync.rapportagetabellen import maak_leesrol
    from sync.store import open_store
    store = open_store(url, aanmaken=False)  # the views must be there
    try:
        maak_leesrol(store.engine, args.rol, wachtwoord)
    finally:
        store.close()
    print(f"Rol {args.rol} mag nu de views v_projecten, v_mijlpalen, v_knelpunten, v_capaciteit en "
          f"v_historie_kwartaal lezen, en verder niets{'' if wachtwoord else ' (nog zonder inlog)'}.")
    return 0


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
