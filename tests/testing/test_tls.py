"""The emulator's self-signed certificate: what it names, how long it lasts, that clients can trust it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import stat
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.tls import TlsFiles, make_self_signed


def test_certificate_names_loopback_and_is_its_own_ca(tmp_path: Path) -> None:
    files = make_self_signed(tmp_path / "new-dir")
    assert files == TlsFiles(
        certfile=tmp_path / "new-dir" / "cert.pem", keyfile=tmp_path / "new-dir" / "key.pem"
    )
    assert files.cafile == files.certfile
    cert = x509.load_pem_x509_certificate(files.certfile.read_bytes())
    assert cert.subject == cert.issuer
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (usage.digital_signature, usage.key_cert_sign) == (True, True)
    assert not any(
        (usage.content_commitment, usage.key_encipherment, usage.data_encipherment, usage.key_agreement)
    )
    assert not usage.crl_sign
    extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    now = dt.datetime.now(dt.UTC)
    assert cert.not_valid_before_utc < now < cert.not_valid_after_utc <= now + dt.timedelta(days=1)
    assert stat.S_IMODE(files.keyfile.stat().st_mode) == 0o600
    ssl.create_default_context(cafile=str(files.cafile))  # OpenSSL takes it as a trust anchor


def test_hostname_and_lifetime(tmp_path: Path) -> None:
    files = make_self_signed(tmp_path, hostname="gong.test", days=0.5)
    cert = x509.load_pem_x509_certificate(files.certfile.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["gong.test"]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(hours=12, minutes=5)


def test_an_emulator_serves_it_to_a_client_that_trusts_it(tmp_path: Path) -> None:
    files = make_self_signed(tmp_path)
    with GongEmulator(
        EmulatorConfig(rate_per_second=None), ssl_certfile=str(files.certfile), ssl_keyfile=str(files.keyfile)
    ) as emulator:
        response = requests.get(
            f"{emulator.url}/v2/users", headers=emulator.auth_headers(), verify=str(files.cafile), timeout=10
        )
        assert response.status_code == 200
        localhost = emulator.url.replace("127.0.0.1", "localhost")
        assert (
            requests.get(f"{localhost}/_emulator/health", verify=str(files.cafile), timeout=10).status_code
            == 200
        )


def test_without_cryptography_it_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(ImportError, match=r"pip install 'airflow-provider-gong\[emulator\]'") as missing:
        make_self_signed(tmp_path)
    assert missing.value.name == "cryptography"
    assert not (tmp_path / "cert.pem").exists()
