"""Throwaway PKI for the Graph and token stubs: a CA, a TLS server certificate for 127.0.0.1 and
an app-registration client certificate (the kind an operator uploads to Entra ID).

Generated at test time with `cryptography`; nothing is committed. The CA file is what the client
side trusts (`ca_bundle`), so TLS verification stays on in tests exactly as in production.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class StubPki:
    ca_pem: Path  # trust anchor for clients
    server_cert: Path  # server certificate (127.0.0.1, localhost)
    server_key: Path
    client_pem: Path  # app certificate: private key + certificate in one PEM (what `certificate` points at)
    client_cert_pem: bytes  # the public part, as registered on the app
    client_thumbprint: str  # SHA-1 hex, as Entra ID shows it


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def maak_pki(map_: Path) -> StubPki:
    """Create the CA, the server certificate and the client certificate under `map_`."""
    map_.mkdir(parents=True, exist_ok=True)
    nu = dt.datetime.now(dt.timezone.utc)
    geldig = (nu - dt.timedelta(minutes=5), nu + dt.timedelta(days=2))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("pMIEK test CA")).issuer_name(_name("pMIEK test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(geldig[0]).not_valid_after(geldig[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    srv_key = ec.generate_private_key(ec.SECP256R1())
    srv_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
        .public_key(srv_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(geldig[0]).not_valid_after(geldig[1])
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    # msal signs the client assertion with RS256: the app certificate must be RSA.
    app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("pmiek-sync")).issuer_name(_name("pmiek-sync"))
        .public_key(app_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(geldig[0]).not_valid_after(geldig[1])
        .sign(app_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    geen = serialization.NoEncryption()
    ca_pem = map_ / "ca.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(pem))
    server_cert = map_ / "server.pem"
    server_cert.write_bytes(srv_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    server_key = map_ / "server.key"
    server_key.write_bytes(srv_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, geen))
    client_pem = map_ / "pmiek-sync.pem"
    client_cert_pem = app_cert.public_bytes(pem)
    client_pem.write_bytes(app_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, geen) + client_cert_pem)
    thumb = hashlib.sha1(app_cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # noqa: S324 - Entra's thumbprint is SHA-1
    return StubPki(ca_pem, server_cert, server_key, client_pem, client_cert_pem, thumb)
