"""Issue 15 as an operator meets it: a store that disappears, is emptied or is someone else's file;
a store in a read-only folder, a full disk, corrupted pages. Real `pmiek` processes, a real
read-only bind mount and a real full tmpfs (the tests run as root, which ignores file modes),
real corrupted SQLite pages, aiosmtpd on loopback. Each case ends with the Dutch message, no
traceback, and where the Board is concerned the number of e-mails."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from mailserver import GEBRUIKER, WACHTWOORD

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))
KWARTAAL = "2026Q3"  # an ended quarter whatever today is (the examples' peildatum is in 2026Q4)


def pmiek(*args: str, cwd: Path = ROOT, env_extra: dict | None = None, timeout: int = 300):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PMIEK_LOG_LEVEL": "", **(env_extra or {})}
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", *args], capture_output=True, text=True,
                       timeout=timeout, cwd=cwd, env=env)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    return r


def opzet(tmp_path: Path, extra: str = "", store: str = "data/pmiek.sqlite", master: str = "uit/master.xlsx",
          fiches: int = 4) -> Path:
    bron = tmp_path / "fiches"
    bron.mkdir(exist_ok=True)
    for pad in VOORBEELDEN[:fiches]:
        kopieer(pad, bron)
    config = tmp_path / "pmiek.toml"
    config.write_text(f'[source]\npath = "fiches"\n[store]\npath = "{store}"\n[master]\npath = "{master}"\n'
                      + extra, encoding="utf-8")
    return config


def kopieer(pad: Path, bron: Path) -> None:
    """A fiche dated in KWARTAAL, so the quarter's overview has it."""
    shutil.copyfile(pad, bron / pad.name)
    moment = dt.datetime(2026, 9, 1, 12).timestamp()
    os.utime(bron / pad.name, (moment, moment))


def weg(store: Path) -> None:
    for achter in ("", "-wal", "-shm"):
        Path(str(store) + achter).unlink(missing_ok=True)


# --- a store never disappears silently ------------------------------------------------------

def test_a_deleted_store_is_not_made_anew_and_the_quarter_not_sent_again(tmp_path, smtp_server, certificaat):
    config = opzet(tmp_path, f'[report]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_server.port}\n'
                             f'smtp_ca_bundle = "{certificaat[0]}"\nrecipients = ["board@drenthe.nl"]\n'
                             'sender = "pmiek@drenthe.nl"\nretries = 1\n')
    login = {"PMIEK_SMTP_USER": GEBRUIKER, "PMIEK_SMTP_PASSWORD": WACHTWOORD}
    assert pmiek("sync", "--config", str(config)).returncode == 0
    r = pmiek("report", "--config", str(config), "--send", "--quarter", KWARTAAL, env_extra=login)
    assert r.returncode == 0, r.stderr
    assert len(smtp_server.berichten) == 1
    store = tmp_path / "data" / "pmiek.sqlite"
    weg(store)

    r = pmiek("sync", "--config", str(config))
    assert r.returncode == 3
    assert f"De database {store} ontbreekt, maar er was er wel een" in r.stderr
    assert "voeg --new-store toe" in r.stderr and not store.exists()
    r = pmiek("report", "--config", str(config), "--send", "--quarter", KWARTAAL, env_extra=login)
    assert r.returncode == 3 and "ontbreekt, maar er was er wel een" in r.stderr
    r = pmiek("status", "--config", str(config))
    assert r.returncode == 3 and "ontbreekt" in r.stderr and not store.exists()
    assert len(smtp_server.berichten) == 1  # exactly one e-mail for the quarter

    # Starting anew is a deliberate act (the old spelling is accepted too).
    r = pmiek("sync", "--config", str(config), "--nieuwe-store")
    assert r.returncode == 0 and "run 1" in r.stdout


def test_an_outbox_that_holds_the_quarter_refuses_a_second_send(tmp_path):
    config = opzet(tmp_path)
    assert pmiek("sync", "--config", str(config)).returncode == 0
    assert pmiek("report", "--config", str(config), "--send", "--quarter", KWARTAAL).returncode == 0
    outbox = tmp_path / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 1
    weg(tmp_path / "data" / "pmiek.sqlite")
    assert pmiek("sync", "--config", str(config), "--new-store").returncode == 0  # the send record is gone

    r = pmiek("report", "--config", str(config), "--send", "--quarter", KWARTAAL)
    assert r.returncode == 2
    assert f"De outbox bevat het kwartaaloverzicht {KWARTAAL} al" in r.stderr
    assert len(list(outbox.glob("*.eml"))) == 1  # still exactly one
    r = pmiek("report", "--config", str(config), "--send", "--force", "--quarter", KWARTAAL)
    assert r.returncode == 0 and len(list(outbox.glob("*.eml"))) == 2  # only when asked for


def test_an_empty_random_or_foreign_store_file_is_refused_and_left_alone(tmp_path):
    config = opzet(tmp_path)
    store = tmp_path / "data" / "pmiek.sqlite"
    assert pmiek("sync", "--config", str(config)).returncode == 0
    r = pmiek("store", "backup", "--config", str(config))
    assert r.returncode == 0 and "Reservekopie gemaakt en gecontroleerd" in r.stdout
    (kopie,) = (tmp_path / "data" / "pmiek.sqlite.backups").glob("pmiek-*.sqlite")

    weg(store)
    store.write_bytes(b"")
    r = pmiek("sync", "--config", str(config))
    assert r.returncode == 3 and f"De database {store} is leeg (0 bytes)" in r.stderr
    assert f"(laatste: {kopie})" in r.stderr and store.read_bytes() == b""
    assert pmiek("status", "--config", str(config)).returncode == 3

    store.write_bytes(os.urandom(8192))
    inhoud = store.read_bytes()
    for opdracht in (["sync"], ["status"], ["report", "--preview", str(tmp_path / "pv")], ["serve"]):
        r = pmiek(*opdracht, "--config", str(config))
        assert r.returncode == 3 and "geen pMIEK-database (geen SQLite-bestand)" in r.stderr, opdracht
        assert "pmiek store restore --store" in r.stderr
    assert store.read_bytes() == inhoud

    weg(store)
    conn = sqlite3.connect(store)
    conn.execute("CREATE TABLE klanten (naam TEXT)")
    conn.commit()
    conn.close()
    r = pmiek("sync", "--config", str(config))
    assert r.returncode == 3 and "geen pMIEK-database (er staan andere tabellen in, bijv. klanten)" in r.stderr
    conn = sqlite3.connect(store)
    assert [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["klanten"]
    conn.close()

    # Back to where it was: the restore puts the foreign file aside.
    r = pmiek("store", "restore", "--config", str(config))
    assert r.returncode == 0 and "De vervangen database staat apart in" in r.stdout
    r = pmiek("status", "--config", str(config))
    assert r.returncode == 0 and "run 1: geslaagd" in r.stdout


# --- read-only and full file systems --------------------------------------------------------

def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def alleen_lezen(map_: Path):
    """`map_` as a real read-only bind mount of itself."""
    try:
        _mount("--bind", str(map_), str(map_))
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("this machine allows no bind mount (needs root or CAP_SYS_ADMIN)")
    try:
        _mount("-o", "remount,bind,ro", str(map_))
        yield map_
    finally:
        subprocess.run(["umount", str(map_)], check=True)


@contextlib.contextmanager
def kleine_schijf(map_: Path, grootte: str = "2m"):
    map_.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={grootte}", "tmpfs", str(map_))
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("this machine allows no tmpfs mount (needs root or CAP_SYS_ADMIN)")
    try:
        yield map_
    finally:
        subprocess.run(["umount", str(map_)], check=True)


def vul(map_: Path) -> None:
    """Fill the file system of `map_` to the last byte."""
    for naam, blok in (("vulling", 65536), ("vulling2", 1)):
        fd = os.open(map_ / naam, os.O_WRONLY | os.O_CREAT)
        try:
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * blok)
        finally:
            os.close(fd)


def test_a_read_only_store_folder_gives_messages_and_status_and_preview_still_work(tmp_path):
    config = opzet(tmp_path, master="data/master.xlsx")
    data = tmp_path / "data"
    assert pmiek("sync", "--config", str(config)).returncode == 0
    voor = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    with alleen_lezen(data):
        r = pmiek("sync", "--config", str(config))
        assert r.returncode == 3
        assert f"In de map {data} kan niet worden geschreven (de schijf is alleen-lezen)" in r.stderr
        r = pmiek("serve", "--config", str(config))
        assert r.returncode == 2 and "worden geschreven (geen schrijfrechten in" in r.stderr
        r = pmiek("status", "--config", str(config))
        assert r.returncode == 0, r.stderr
        assert "run 1: geslaagd" in r.stdout
        r = pmiek("report", "--config", str(config), "--preview", str(tmp_path / "pv"), "--quarter", KWARTAAL)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "pv" / f"pmiek-kwartaaloverzicht-{KWARTAAL}.eml").is_file()
        r = pmiek("store", "backup", "--config", str(config))
        assert r.returncode == 3 and "alleen-lezen" in r.stderr
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()} == voor  # looking changed nothing


def test_a_read_only_store_file_is_a_dutch_message(tmp_path):
    # The file alone read-only (its folder writable): as an unprivileged user, since root may write it.
    basis = Path(os.environ.get("TMPDIR", "/tmp")) / f"pmiek-ro-{os.getpid()}"
    shutil.rmtree(basis, ignore_errors=True)
    basis.mkdir(mode=0o777)
    try:
        config = opzet(basis, store="pmiek.sqlite")
        assert pmiek("sync", "--config", str(config)).returncode == 0
        for pad in basis.rglob("*"):
            pad.chmod(0o777 if pad.is_dir() else 0o666)
        basis.chmod(0o777)
        store = basis / "pmiek.sqlite"
        store.chmod(0o444)
        (basis / "fiches" / VOORBEELDEN[5].name).write_bytes(VOORBEELDEN[5].read_bytes())
        os.chmod(basis / "fiches" / VOORBEELDEN[5].name, 0o666)
        als_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PMIEK_LOG_LEVEL": "", "HOME": str(basis)}
        r = subprocess.run([*als_nobody, sys.executable, "-m", "pmiek.cli", "sync", "--config", str(config)],
                           capture_output=True, text=True, timeout=300, env=env, cwd=basis)
        if "setpriv" in r.stderr and r.returncode != 0 and "Fout" not in r.stderr:
            pytest.skip(f"cannot run as nobody here: {r.stderr}")
        assert "Traceback" not in r.stderr, r.stderr
        assert r.returncode == 3 and "alleen-lezen of geen schrijfrechten" in r.stderr, r.stderr
        r = subprocess.run([*als_nobody, sys.executable, "-m", "pmiek.cli", "status", "--config", str(config)],
                           capture_output=True, text=True, timeout=300, env=env, cwd=basis)
        assert r.returncode == 0 and "run 1: geslaagd" in r.stdout, r.stderr
    finally:
        shutil.rmtree(basis, ignore_errors=True)


def test_a_full_disk_during_sync_is_named(tmp_path):
    data = kleine_schijf_pad = tmp_path / "data"
    config = opzet(tmp_path, master="data/master.xlsx", fiches=4)
    with kleine_schijf(kleine_schijf_pad, "3m"):
        assert pmiek("sync", "--config", str(config)).returncode == 0
        for pad in VOORBEELDEN[4:]:
            kopieer(pad, tmp_path / "fiches")
        vul(data)
        r = pmiek("sync", "--config", str(config))
        assert r.returncode == 3
        assert "De schijf is vol" in r.stderr and "Maak ruimte vrij" in r.stderr
        assert "onverwachte fout" not in r.stderr
        (data / "vulling").unlink()
        (data / "vulling2").unlink()
        r = pmiek("sync", "--config", str(config))
        assert r.returncode == 0, r.stderr
        assert f"{len(VOORBEELDEN)} fiches in de bron" in r.stdout


def test_a_full_disk_for_the_master_and_the_outbox_is_named(tmp_path):
    config = opzet(tmp_path, master="vol/master.xlsx", extra='[report]\noutbox = "vol/outbox"\n')
    vol = tmp_path / "vol"
    with kleine_schijf(vol, "1m"):
        vul(vol)
        r = pmiek("sync", "--config", str(config))
        assert r.returncode == 3 and "(de schijf is vol)" in r.stderr, r.stderr
        r = pmiek("report", "--config", str(config), "--send", "--quarter", KWARTAAL)
        assert r.returncode == 3 and "de schijf is vol" in r.stderr, r.stderr
        assert not list((vol / "outbox").glob("*.eml")) if (vol / "outbox").exists() else True


# --- corrupted pages ------------------------------------------------------------------------

def _pagina(store: Path, naam: str) -> tuple[int, int]:
    """(page number, page size) of a leaf page of table or index `naam`."""
    conn = sqlite3.connect(store)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        grootte = conn.execute("PRAGMA page_size").fetchone()[0]
        rijen = conn.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (naam,)).fetchall()
    finally:
        conn.close()
    assert rijen, f"no pages for {naam}"
    return rijen[-1][0], grootte


def _beschadig(store: Path, naam: str) -> None:
    pagina, grootte = _pagina(store, naam)
    with open(store, "r+b") as fh:
        fh.seek((pagina - 1) * grootte)
        fh.write(os.urandom(grootte))


def test_a_corrupted_data_page_names_the_backup_to_restore(tmp_path):
    config = opzet(tmp_path)
    store = tmp_path / "data" / "pmiek.sqlite"
    assert pmiek("sync", "--config", str(config)).returncode == 0
    assert pmiek("store", "backup", "--config", str(config)).returncode == 0
    (kopie,) = (tmp_path / "data" / "pmiek.sqlite.backups").glob("*.sqlite")
    _beschadig(store, "fiche_versies")
    for opdracht in (["sync"], ["status"], ["report", "--preview", str(tmp_path / "pv"), "--quarter", KWARTAAL]):
        r = pmiek(*opdracht, "--config", str(config))
        assert r.returncode == 3, (opdracht, r.stdout, r.stderr)
        assert f"De database {store} is beschadigd" in r.stderr, (opdracht, r.stderr)
        assert f"pmiek store restore --config {config} (laatste: {kopie})" in r.stderr
    r = pmiek("store", "backup", "--config", str(config))
    assert r.returncode == 3 and "Er is geen reservekopie gemaakt" in r.stderr
    assert list((tmp_path / "data" / "pmiek.sqlite.backups").glob("*.sqlite")) == [kopie]  # the good one stays
    r = pmiek("store", "restore", "--config", str(config))
    assert r.returncode == 0, r.stderr
    assert list(store.parent.glob("pmiek.sqlite.vervangen-*"))  # the damaged store is kept aside
    r = pmiek("sync", "--config", str(config))
    assert r.returncode == 0, r.stderr


def test_a_corrupted_index_page_is_found_by_the_checks(tmp_path):
    config = opzet(tmp_path)
    store = tmp_path / "data" / "pmiek.sqlite"
    assert pmiek("sync", "--config", str(config)).returncode == 0
    _beschadig(store, "ix_versies_item")
    # Ordinary reads never touch this index: only the integrity checks see it.
    r = pmiek("status", "--config", str(config))
    assert r.returncode == 3 and f"De database {store} is beschadigd" in r.stderr, r.stderr
    assert "er is geen reservekopie gevonden" in r.stderr
    r = pmiek("serve", "--config", str(config), timeout=60)
    assert r.returncode == 3 and "is beschadigd" in r.stderr, r.stderr
    r = pmiek("store", "backup", "--config", str(config))
    assert r.returncode == 3 and "Er is geen reservekopie gemaakt" in r.stderr and "is beschadigd" in r.stderr
    assert not list((tmp_path / "data" / "pmiek.sqlite.backups").glob("*.sqlite"))
