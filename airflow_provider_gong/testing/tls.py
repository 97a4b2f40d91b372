"""A throwaway self-signed certificate for serving the emulator over TLS (``--ssl-certfile``).

Needs ``cryptography`` (the ``emulator`` extra), imported only when a certificate is made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from pathlib import Path

from airflow_provider_gong.testing.extra import require

__all__ = ["TlsFiles", "make_self_signed"]

#: Key usages the certificate does not claim (it signs TLS handshakes and itself, nothing else).
_UNUSED_KEY_USAGES = dict.fromkeys(
    (
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ),
    False,
)


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    """PEM files of a self-signed server certificate.

    :param certfile: The certificate (also the CA bundle clients trust: it signs itself).
    :param keyfile: Its private key.
    """

    certfile: Path
    keyfile: Path

    @property
    def cafile(self) -> Path:
        """What clients pass as ``verify=`` / ``REQUESTS_CA_BUNDLE``."""
        return self.certfile


def make_self_signed(directory: Path, *, hostname: str = "localhost", days: float = 1.0) -> TlsFiles:
    """Write a P-256 self-signed certificate valid for ``hostname``, ``127.0.0.1`` and ``::1``.

    It is marked as a CA (``basicConstraints CA:TRUE``) so OpenSSL accepts it as its own trust anchor.
    P-256 keeps the handshake cost near what a real TLS front end (ECDSA or RSA-2048) costs a client.

    :param directory: Where to write ``cert.pem`` and ``key.pem`` (created if missing).
    :param hostname: DNS name put in the subject and the SAN.
    :param days: How long it stays valid (it is valid from five minutes ago).
    """
    require("cryptography", "making a TLS certificate for the Gong emulator")
    from cryptography import x509  # noqa: PLC0415 - lazy: only needed to make a certificate
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
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
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, **_UNUSED_KEY_USAGES), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile = directory / "cert.pem"
    keyfile = directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.touch(mode=0o600)
    keyfile.chmod(0o600)
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TlsFiles(certfile=certfile, keyfile=keyfile)
