"""A throwaway self-signed certificate for serving the emulator over TLS (made at bench time)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["TlsFiles", "make_self_signed"]


@dataclass(frozen=True)
class TlsFiles:
    """
    PEM files of a self-signed server certificate.

    :param certfile: The certificate (also the CA bundle clients trust: it signs itself).
    :param keyfile: Its private key.
    """

    certfile: Path
    keyfile: Path

    @property
    def cafile(self) -> Path:
        """What clients pass as ``verify=`` / ``REQUESTS_CA_BUNDLE``."""
        return self.certfile


def make_self_signed(directory: Path, *, hostname: str = "localhost") -> TlsFiles:
    """
    Write a P-256 self-signed certificate valid for ``localhost``, ``127.0.0.1`` and ``::1`` for one day.

    It is marked as a CA (``basicConstraints CA:TRUE``) so OpenSSL accepts it as its own trust anchor.
    P-256 keeps the handshake cost near what a real TLS front end (ECDSA or RSA-2048) costs a client.

    :param directory: Where to write ``cert.pem`` and ``key.pem``.
    :param hostname: DNS name put in the subject and the SAN.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile = directory / "cert.pem"
    keyfile = directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    keyfile.chmod(0o600)
    return TlsFiles(certfile=certfile, keyfile=keyfile)
