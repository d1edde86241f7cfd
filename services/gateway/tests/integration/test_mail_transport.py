"""How a link reaches the mail relay: encrypted (STARTTLS by default, or TLS from the start) with
the relay's certificate verified, after logging in with SMTP_USERNAME / SMTP_PASSWORD; a relay
that cannot encrypt, or whose certificate is not trusted, gets nothing, and the link stays due."""

from __future__ import annotations

import ipaddress
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clinic_runtime.devstack import free_ports

pytestmark = pytest.mark.integration

USERNAME = "clinic-gateway"
PASSWORD = "relay password 7f3a"


@dataclass
class Delivery:
    message: Message
    encrypted: bool
    logged_in_as: str | None


@dataclass
class Relay:
    """What an SMTP relay on 127.0.0.1 received, and how."""

    port: int
    deliveries: list[Delivery] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def last_token(self) -> str:
        body = self.deliveries[-1].message.get_payload(decode=True).decode()
        return body.split("token=", 1)[1].split()[0]


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # what the mailer is told to trust (SSL_CERT_FILE)
    server: ssl.SSLContext  # the relay's certificate for 127.0.0.1, issued by that CA


def issue_certificates(directory: Path, name: str) -> Certificates:
    """A CA and a certificate for 127.0.0.1 it issued, as a relay's operator would have."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
          .not_valid_after(now + timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = (directory / f"{name}-{part}.pem" for part in ("ca", "cert", "key"))
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(leaf.public_bytes(pem))
    key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return Certificates(ca_file, server)


@pytest.fixture
def certificates(tmp_path) -> Certificates:
    return issue_certificates(tmp_path, "relay")


@pytest.fixture
def start_relay():
    """Start an SMTP relay: `starttls` offers STARTTLS, `tls` speaks TLS from the start, and
    `require_login` refuses mail from a client that did not log in."""
    controllers: list[Controller] = []

    def start(certificates: Certificates | None = None, *, tls: bool = False, starttls: bool = False,
              require_login: bool = False) -> Relay:
        [port] = free_ports(1)
        relay = Relay(port)
        lock = threading.Lock()

        class Keep:
            async def handle_DATA(self, server, session, envelope) -> str:
                with lock:
                    relay.deliveries.append(Delivery(
                        message_from_bytes(envelope.content),
                        encrypted=server.transport.get_extra_info("ssl_object") is not None,
                        logged_in_as=session.auth_data.login.decode() if session.authenticated else None))
                return "250 Message accepted for delivery"

        def authenticate(server, session, envelope, mechanism, auth_data: LoginPassword) -> AuthResult:
            relay.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=(auth_data.login.decode(), auth_data.password.decode()) == (USERNAME, PASSWORD),
                              auth_data=auth_data)

        controller = Controller(
            Keep(), hostname="127.0.0.1", port=relay.port,
            ssl_context=certificates.server if tls else None,
            tls_context=certificates.server if starttls else None,
            # aiosmtpd counts only STARTTLS as TLS for AUTH; a connection in TLS from the start is too.
            authenticator=authenticate, auth_required=require_login, auth_require_tls=not tls)
        controller.start()
        controllers.append(controller)
        return relay

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def relay_settings(gateway_environment, monkeypatch):
    """The gateway's SMTP settings (after the test defaults): the relay's port, and more."""

    def point_at(relay: Relay, **settings: str) -> None:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(relay.port))
        for name, value in settings.items():
            monkeypatch.setenv(name, value)

    return point_at


def due_links(identity) -> list[bool]:
    """Whether each stored link is still due to be mailed."""
    with identity.engine.connect() as connection:
        return [bool(due) for due in connection.execute(sa.text("SELECT mail_due_at IS NOT NULL FROM one_time_tokens"))]


def request_a_reset(gateway_client, identity) -> str:
    account = identity.account()
    assert gateway_client.post("/v1/auth/password-reset", json={"email": account.email}).status_code == 202
    return account.email


def test_a_link_is_handed_over_only_after_starttls_and_the_login(
        start_relay, certificates, relay_settings, gateway_client, identity, mail_links):
    relay = start_relay(certificates, starttls=True, require_login=True)
    relay_settings(relay, SMTP_SECURITY="starttls", SMTP_USERNAME=USERNAME, SMTP_PASSWORD=PASSWORD,
                   SSL_CERT_FILE=str(certificates.ca_file))
    email = request_a_reset(gateway_client, identity)

    assert mail_links() == 1

    [delivery] = relay.deliveries
    assert delivery.message["To"] == email
    assert (delivery.encrypted, delivery.logged_in_as) == (True, USERNAME)
    assert relay.logins == [(USERNAME, PASSWORD)]
    confirmed = gateway_client.post("/v1/auth/password-reset/confirm",
                                    json={"token": relay.last_token(), "new_password": "a brand new long password"})
    assert confirmed.status_code == 204


def test_starttls_is_what_the_gateway_asks_for_unless_told_otherwise(
        start_relay, certificates, relay_settings, gateway_client, identity, mail_links, monkeypatch):
    relay = start_relay(certificates, starttls=True)
    relay_settings(relay, SSL_CERT_FILE=str(certificates.ca_file))
    monkeypatch.delenv("SMTP_SECURITY")
    request_a_reset(gateway_client, identity)

    assert mail_links() == 1
    assert [(d.encrypted, d.logged_in_as) for d in relay.deliveries] == [(True, None)]


def test_a_relay_speaking_tls_from_the_start_gets_the_link_encrypted(
        start_relay, certificates, relay_settings, gateway_client, identity, mail_links):
    relay = start_relay(certificates, tls=True)
    relay_settings(relay, SMTP_SECURITY="tls", SMTP_USERNAME=USERNAME, SMTP_PASSWORD=PASSWORD,
                   SSL_CERT_FILE=str(certificates.ca_file))
    request_a_reset(gateway_client, identity)

    assert mail_links() == 1
    assert [(d.encrypted, d.logged_in_as) for d in relay.deliveries] == [(True, USERNAME)]


def test_a_relay_without_starttls_gets_nothing_in_clear_and_the_link_stays_due(
        start_relay, relay_settings, gateway_client, identity, mail_links, caplog):
    relay = start_relay()
    relay_settings(relay, SMTP_SECURITY="starttls")
    request_a_reset(gateway_client, identity)

    assert mail_links() == 0

    assert relay.deliveries == []
    assert due_links(identity) == [True]
    assert "SMTPNotSupportedError" in caplog.text


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing_and_the_link_stays_due(
        start_relay, certificates, relay_settings, gateway_client, identity, mail_links, tmp_path):
    relay = start_relay(certificates, starttls=True)
    someone_else = issue_certificates(tmp_path, "other")
    relay_settings(relay, SMTP_SECURITY="starttls", SMTP_USERNAME=USERNAME, SMTP_PASSWORD=PASSWORD,
                   SSL_CERT_FILE=str(someone_else.ca_file))
    request_a_reset(gateway_client, identity)

    assert mail_links() == 0

    assert (relay.deliveries, relay.logins) == ([], [])
    assert due_links(identity) == [True]
