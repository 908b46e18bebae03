"""A real PostgreSQL server on loopback for the store tests: a throwaway cluster per test worker.

Debian's `postgresql` package (scripts/system-packages.sh) provides `initdb` and `pg_ctl`; the
cluster lives in a temporary directory, listens on 127.0.0.1 on a free port (and a socket in that
directory, nowhere else), and is stopped and removed at the end of the session. Each test gets
its own database from `postgres_url`.

The password of the test role never appears in a URL: it is put in `PGPASSWORD`, which libpq
(and so psycopg, and every `pmiek` child process) reads, the way an operator is told to pass it.

Without PostgreSQL on the machine the PostgreSQL half of the parametrised tests is skipped, so a
developer can still run the SQLite half; `scripts/test.sh` in full mode (CI) sets
`PMIEK_POSTGRES=verplicht`, and then a missing server is an error, not a skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROL = "pmiek"
WACHTWOORD = "Pg-geheim-voor-de-test-7"
#: libpq's own variable; also what the operations guide tells operators to use.
WACHTWOORD_VARIABELE = "PGPASSWORD"


def _binmap() -> Path | None:
    """The directory holding initdb and pg_ctl, newest major version first."""
    gevonden = shutil.which("pg_ctl")
    if gevonden:
        return Path(os.path.realpath(gevonden)).parent
    kandidaten = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parent.parent.name), reverse=True)
    return Path(kandidaten[0]).parent if kandidaten else None


def _vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """One running cluster; `nieuwe_database()` gives an empty database's SQLAlchemy URL."""

    poort: int
    map_: Path
    _teller: itertools.count = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{ROL}@127.0.0.1:{self.poort}/{database}"

    def nieuwe_database(self) -> str:
        import psycopg

        naam = f"pmiek_test_{os.getpid()}_{next(self._teller)}"
        with psycopg.connect(host="127.0.0.1", port=self.poort, user=ROL, dbname="postgres",
                             password=WACHTWOORD, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{naam}"')
        return self.url(naam)


def _als_postgres(cmd: list[str]) -> list[str]:
    # initdb and the server refuse to run as root, which CI is.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def start_server() -> tuple[PostgresServer | None, str]:
    """A started cluster, or None with the reason it could not be started."""
    binmap = _binmap()
    if binmap is None:
        return None, "PostgreSQL is not installed (initdb/pg_ctl not found; scripts/system-packages.sh)"
    if os.geteuid() == 0:
        try:
            eigenaar = pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no 'postgres' user to run the server as"
    map_ = Path(tempfile.mkdtemp(prefix="pmiek-pg-"))
    if os.geteuid() == 0:
        os.chown(map_, eigenaar.pw_uid, eigenaar.pw_gid)
    data = map_ / "data"
    wwbestand = map_ / "wachtwoord"
    wwbestand.write_text(WACHTWOORD)
    if os.geteuid() == 0:
        os.chown(wwbestand, eigenaar.pw_uid, eigenaar.pw_gid)
    poort = _vrije_poort()
    subprocess.run(_als_postgres([str(binmap / "initdb"), "-D", str(data), "-U", ROL, "--pwfile", str(wwbestand),
                                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                                  "--locale=C.UTF-8"]),
                   check=True, capture_output=True, timeout=120)
    opties = f"-c listen_addresses=127.0.0.1 -p {poort} -k {map_} -c fsync=off -c full_page_writes=off"
    subprocess.run(_als_postgres([str(binmap / "pg_ctl"), "-D", str(data), "-o", opties, "-l", str(map_ / "log"),
                                  "-w", "-t", "60", "start"]),
                   check=True, capture_output=True, timeout=90)
    return PostgresServer(poort, map_), ""


def stop_server(server: PostgresServer) -> None:
    binmap = _binmap()
    assert binmap is not None
    subprocess.run(_als_postgres([str(binmap / "pg_ctl"), "-D", str(server.map_ / "data"), "-m", "immediate",
                                  "-w", "stop"]), capture_output=True, timeout=60)
    shutil.rmtree(server.map_, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server, reden = start_server()
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        server, reden = None, f"PostgreSQL did not start: {exc} {detail.decode(errors='replace')}"
    if server is None:
        if os.environ.get("PMIEK_POSTGRES") == "verplicht":
            pytest.fail(reden)
        pytest.skip(reden)
    oud = os.environ.get(WACHTWOORD_VARIABELE)
    os.environ[WACHTWOORD_VARIABELE] = WACHTWOORD
    try:
        yield server
    finally:
        if oud is None:
            os.environ.pop(WACHTWOORD_VARIABELE, None)
        else:
            os.environ[WACHTWOORD_VARIABELE] = oud
        stop_server(server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """An empty database of its own for this test, as a SQLAlchemy URL without password."""
    return postgres_server.nieuwe_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty store URL, once for each backend: the same test runs against both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")
