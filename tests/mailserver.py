"""A real SMTP server on loopback for the quarterly e-mail tests: aiosmtpd with STARTTLS (a
throwaway certificate made with `cryptography`) and AUTH LOGIN, required before MAIL FROM.

`MailServer.berichten` holds every accepted message as parsed `EmailMessage`s. Hooks make the
awkward cases real: `weiger_tijdelijk` answers the next DATA with 451 a number of times, and
`na_ontvangst` runs after a message was stored and before the 250 reply is sent (the crash
test kills the sending process there: the server has the message, the sender never hears so).
`auth=False` makes a relay that offers no AUTH; `hangt` a server that goes silent after EHLO.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GEBRUIKER = "pmiek-rapport"
WACHTWOORD = "Geheim-voor-de-test-42"


def maak_certificaat(map_: Path) -> tuple[Path, Path]:
    """Self-signed certificate for 127.0.0.1/localhost; returns (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    naam = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    nu = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(naam).issuer_name(naam).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - dt.timedelta(days=1)).not_valid_after(nu + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pad, key_pad = map_ / "smtp-cert.pem", map_ / "smtp-key.pem"
    cert_pad.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pad.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert_pad, key_pad


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Ontvangen:
    afzender: str
    ontvangers: list[str]
    bericht: EmailMessage
    ruw: bytes


@dataclass
class _Handler:
    server: "MailServer"

    async def handle_EHLO(self, smtp_server, session, envelope, hostname, responses) -> list[str]:
        session.host_name = hostname  # this hook's duty (aiosmtpd)
        self.server.ehlo_pogingen += 1
        if self.server.hangt:
            await asyncio.sleep(self.server.hangt)  # a server that stops answering
        if not self.server.auth:
            return [r for r in responses if "AUTH" not in r]
        return responses

    async def handle_DATA(self, smtp_server, session, envelope) -> str:
        srv = self.server
        with srv.lock:
            srv.data_pogingen += 1
            if srv.weiger_tijdelijk > 0:
                srv.weiger_tijdelijk -= 1
                return "451 4.3.0 Tijdelijk niet beschikbaar"
            ruw = envelope.original_content or envelope.content
            bericht = email.message_from_bytes(ruw, policy=default_policy)
            srv.berichten.append(Ontvangen(envelope.mail_from, list(envelope.rcpt_tos), bericht, ruw))
        if srv.na_ontvangst is not None:
            srv.na_ontvangst()
        return "250 2.0.0 Bericht aangenomen"


@dataclass
class MailServer:
    cert: Path
    key: Path
    berichten: list[Ontvangen] = field(default_factory=list)
    logins: list = field(default_factory=list)
    weiger_tijdelijk: int = 0
    data_pogingen: int = 0
    na_ontvangst: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    #: False: a server that offers no AUTH at all (an internal relay), to test what we say about it.
    auth: bool = True
    #: Seconds the server stays silent after EHLO (0: it answers at once): a server that hangs.
    hangt: float = 0.0
    ehlo_pogingen: int = 0

    def _authenticator(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == GEBRUIKER
              and auth_data.password.decode() == WACHTWOORD)
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    def start(self) -> "MailServer":
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        self.port = vrije_poort()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, tls_context=ctx, require_starttls=True,
            authenticator=self._authenticator if self.auth else None, auth_required=self.auth,
            auth_require_tls=True, server_hostname="localhost",
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


# --- pytest fixtures (registered for every test module in tests/conftest.py) ------------------

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def certificaat(tmp_path_factory):
    """A throwaway certificate and key for the loopback server's STARTTLS."""
    return maak_certificaat(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_server(certificaat):
    """A real aiosmtpd server on loopback, with STARTTLS and AUTH LOGIN."""
    server = MailServer(*certificaat).start()
    try:
        yield server
    finally:
        server.stop()
