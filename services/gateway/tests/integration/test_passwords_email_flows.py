"""Password reset and invitations end to end: the request records the link, the worker's job
mails it by real SMTP into a local sink (aiosmtpd), the link's token is used once; on PostgreSQL
and SQLite."""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import request

from clinic_contracts import uuid7
from clinic_runtime.db import transaction
from clinic_runtime.settings import SmtpSecurity
from gateway.adapters.mailer import MailNotSent, SmtpMailer
from gateway.domain.principal import AccountKind
from gateway.domain.tokens import Purpose
from gateway.entrypoints.authentication import request_uow
from gateway.service_layer import accounts
from gateway.service_layer.unit_of_work import SqlUnitOfWork

pytestmark = pytest.mark.integration

PASSWORD = "plum tree orchard at dawn"
NEW_PASSWORD = "lantern by the river bend"
ACCEPTED = {"detail": "If an account has this address, a link to choose a new password is on its way."}


def log_in(client, email, password):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def links(identity) -> list[tuple[str, bool, bool]]:
    """Each link stored: its purpose, whether it is due to be mailed, whether it was mailed."""
    with identity.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT purpose, mail_due_at IS NOT NULL, mailed_at IS NOT NULL FROM one_time_tokens ORDER BY created_at"))
        return [(purpose, bool(due), bool(mailed)) for purpose, due, mailed in rows]


# -- the SMTP adapter -------------------------------------------------------------------------


def test_the_smtp_mailer_hands_a_plain_text_message_to_the_server(mail_sink):
    # The sink speaks plain SMTP; TLS to a relay is test_mail_transport's.
    SmtpMailer("127.0.0.1", mail_sink.port, "clinic@localhost", security=SmtpSecurity.NONE).send(
        "ana@example.com", "Hello", "Body text\n")

    [message] = mail_sink.messages
    assert (message["From"], message["To"], message["Subject"]) == ("clinic@localhost", "ana@example.com", "Hello")
    assert message.get_content_type() == "text/plain"
    assert message.get_payload(decode=True).decode().splitlines() == ["Body text"]  # SMTP lines end in CRLF


def test_a_server_that_is_not_there_is_reported_without_the_recipient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(MailNotSent) as failed:
        SmtpMailer("127.0.0.1", closed_port, "clinic@localhost", timeout=2).send("ana@example.com", "Hi", "Body")
    assert "ana" not in str(failed.value)


# -- password reset ---------------------------------------------------------------------------


def test_a_reset_request_records_a_due_link_and_mails_nothing_itself(mail_sink, gateway_client, identity):
    account = identity.account()

    requested = gateway_client.post("/v1/auth/password-reset", json={"email": account.email})

    assert (requested.status_code, requested.get_json()) == (202, ACCEPTED)
    assert links(identity) == [("password_reset", True, False)]
    assert mail_sink.messages == []


def test_the_worker_mails_a_link_once_whose_token_sets_the_new_password_once(mail_sink, gateway_client, identity,
                                                                             mail_links):
    account = identity.account(email="Ana@Example.com")
    old_session = identity.sign_in(gateway_client, account)

    requested = gateway_client.post("/v1/auth/password-reset", json={"email": "ana@example.com"})
    assert (mail_links(), mail_links()) == (1, 0)
    assert links(identity) == [("password_reset", False, True)]
    [message] = mail_sink.messages
    token = mail_sink.last_link_token()
    confirmed = gateway_client.post("/v1/auth/password-reset/confirm",
                                    json={"token": token, "new_password": NEW_PASSWORD})
    again = gateway_client.post("/v1/auth/password-reset/confirm",
                                json={"token": token, "new_password": "another fine long password"})

    assert (requested.status_code, requested.get_json()) == (202, ACCEPTED)
    assert (message["To"], message["Subject"]) == ("Ana@Example.com", "Reset your password")
    assert "http://127.0.0.1:8000/reset-password?token=" in message.get_payload(decode=True).decode()
    assert confirmed.status_code == 204
    assert again.status_code == 422 and again.get_json()["errors"][0]["field"] == "token"
    assert log_in(gateway_client, account.email, NEW_PASSWORD).status_code == 200
    assert log_in(gateway_client, account.email, PASSWORD).status_code == 401
    assert gateway_client.get("/v1/me", headers=old_session).status_code == 401
    assert [e.action for e in identity.audit(account.clinic_id)][:3] == [
        "login.failed", "login.succeeded", "password.reset"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(mail_sink, gateway_client, identity, mail_links):
    response = gateway_client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert (response.status_code, response.get_json()) == (202, ACCEPTED)
    assert mail_links() == 0
    assert links(identity) == [] and mail_sink.messages == []


def test_an_address_is_given_one_link_in_five_minutes_whichever_clients_ask(
        mail_sink, gateway_environment, gateway_database, build_gateway_app, identity, mail_links):
    gateway_environment(gateway_database, trusted_proxy_count="1", rate_limit_password_reset="100/minute")
    client = build_gateway_app().test_client()
    account = identity.account()

    answers = [client.post("/v1/auth/password-reset", json={"email": account.email.upper()},
                           headers={"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(10)]

    assert {(a.status_code, str(a.get_json())) for a in answers} == {(202, str(ACCEPTED))}
    assert links(identity) == [("password_reset", True, False)]
    assert mail_links() == 1
    with identity.engine.begin() as connection:  # five minutes pass
        connection.execute(sa.text("UPDATE link_requests SET started_at = started_at - 300"))
    client.post("/v1/auth/password-reset", json={"email": account.email})
    assert links(identity) == [("password_reset", False, True), ("password_reset", True, False)]


def test_every_reset_request_writes_its_count_whether_or_not_the_address_has_an_account(gateway_client, identity):
    """So both commit alike and take as long; the count keeps no address, only a hash of it."""
    account = identity.account()
    for email in (account.email, "nobody@example.com", "nobody@example.com"):
        gateway_client.post("/v1/auth/password-reset", json={"email": email})

    with identity.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT address_digest, purpose, requests FROM link_requests")).all()
    assert sorted((purpose, requests) for _, purpose, requests in rows) == [("password_reset", 1), ("password_reset", 2)]
    assert not any("@" in digest for digest, _, _ in rows)


def test_a_link_the_mail_server_refuses_stays_due_and_the_next_run_mails_it(mail_sink, gateway_client, identity,
                                                                            mail_links, monkeypatch):
    account = identity.account()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("SMTP_PORT", str(probe.getsockname()[1]))  # nobody listens there

    response = gateway_client.post("/v1/auth/password-reset", json={"email": account.email})
    assert (response.status_code, response.get_json()) == (202, ACCEPTED)
    assert mail_links() == 0
    assert links(identity) == [("password_reset", True, False)]

    monkeypatch.setenv("SMTP_PORT", str(mail_sink.port))
    assert mail_links() == 1
    confirmed = gateway_client.post("/v1/auth/password-reset/confirm",
                                    json={"token": mail_sink.last_link_token(), "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 204
    assert links(identity) == [("password_reset", False, True)]


def test_a_link_that_expired_unsent_is_dropped_with_a_log_line(mail_sink, identity, mail_links, caplog):
    account = identity.account()
    issued = identity.tools.clock() - timedelta(minutes=31)
    with transaction(identity.sessions) as session:
        SqlUnitOfWork(session, identity.tools).one_time_tokens.add(
            uuid7(), account.id, account.clinic_id, Purpose.PASSWORD_RESET, issued, issued + timedelta(minutes=30),
            mail=True)

    with caplog.at_level(logging.WARNING, logger="gateway.service_layer.passwords"):
        assert mail_links() == 0

    assert links(identity) == [("password_reset", False, False)]
    assert mail_sink.messages == []
    assert [r.getMessage() for r in caplog.records] == ["password_reset link dropped unsent: it expired or was used first"]


def test_two_runs_at_once_mail_each_link_once(mail_sink, gateway_environment, gateway_database, build_gateway_app,
                                              identity, mail_links):
    gateway_environment(gateway_database, rate_limit_password_reset="100/minute")
    client = build_gateway_app().test_client()
    mail_sink.delay = 0.2  # each send takes a while, so both runs are at work together
    addresses = [identity.account().email for _ in range(6)]
    for email in addresses:
        assert client.post("/v1/auth/password-reset", json={"email": email}).status_code == 202
    barrier = threading.Barrier(2)
    mailed: list[int] = []

    def run() -> None:
        barrier.wait()
        mailed.append(mail_links())

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()

    assert sorted(mail_sink.recipients()) == sorted(addresses)
    assert sum(mailed) == 6 and 0 not in mailed  # both runs took part
    assert links(identity) == [("password_reset", False, True)] * 6


def test_an_expired_reset_link_is_refused(gateway_client, identity):
    account = identity.account()
    issued = identity.tools.clock() - timedelta(minutes=31)
    token_id = uuid7()
    token, claims = identity.tools.tokens.one_time_token(token_id, account.id, Purpose.PASSWORD_RESET, issued)
    with transaction(identity.sessions) as session:
        SqlUnitOfWork(session, identity.tools).one_time_tokens.add(
            token_id, account.id, account.clinic_id, Purpose.PASSWORD_RESET, issued, claims.expires_at)

    response = gateway_client.post("/v1/auth/password-reset/confirm",
                                   json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 422
    assert log_in(gateway_client, account.email, PASSWORD).status_code == 200


def test_a_weak_new_password_is_refused_and_the_link_still_works(mail_sink, gateway_client, identity, mail_links):
    account = identity.account(email="bogdan.m@example.com")
    gateway_client.post("/v1/auth/password-reset", json={"email": account.email})
    mail_links()
    token = mail_sink.last_link_token()

    weak = gateway_client.post("/v1/auth/password-reset/confirm",
                               json={"token": token, "new_password": "Bogdan.M-is-great"})
    good = gateway_client.post("/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})

    assert weak.status_code == 422
    assert weak.get_json()["errors"] == [{"field": "new_password", "message": "must not contain your email address"}]
    assert good.status_code == 204


# -- invitations ------------------------------------------------------------------------------


@pytest.fixture
def invite_app(mail_sink, gateway_database, build_gateway_app):
    """The gateway app plus a route creating an account the way admin routes do."""
    app = build_gateway_app()

    def invite():
        body = request.get_json()
        account = accounts.create_account(request_uow(), body["email"], body["kind"], uuid.UUID(body["clinic_id"]),
                                          body["display_name"], invited_by=None)
        return {"id": str(account.id)}, 201

    app.add_url_rule("/test/invitations", "test_invite", invite, methods=["POST"])
    return app


def test_an_invited_account_chooses_its_password_from_the_mailed_link(mail_sink, invite_app, identity, mail_links):
    client = invite_app.test_client()
    clinic_id = uuid.uuid4()

    created = client.post("/test/invitations", json={"email": "rita@example.com", "kind": "staff",
                                                      "clinic_id": str(clinic_id), "display_name": "Rita"})
    assert mail_sink.messages == []
    assert mail_links() == 1
    [message] = mail_sink.messages
    chosen = client.post("/v1/auth/password-reset/confirm",
                         json={"token": mail_sink.last_link_token(), "new_password": NEW_PASSWORD})

    assert created.status_code == 201
    assert (message["To"], message["Subject"]) == ("rita@example.com", "You are invited to the clinic platform")
    assert "/accept-invitation?token=" in message.get_payload(decode=True).decode()
    assert chosen.status_code == 204
    login = log_in(client, "rita@example.com", NEW_PASSWORD)
    assert login.status_code == 200
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {login.get_json()['access_token']}"}).get_json()
    assert (me["kind"], me["clinic_id"]) == ("staff", str(clinic_id))


def test_when_the_invitation_cannot_be_mailed_yet_the_account_is_created_and_its_link_stays_due(
        gateway_database, build_gateway_app, identity, mail_links):
    app = build_gateway_app()

    def invite():
        accounts.create_account(request_uow(), "rita@example.com", AccountKind.STAFF, uuid.uuid4(), "Rita", None)
        return {}, 201

    app.add_url_rule("/test/invitations", "test_invite", invite, methods=["POST"])

    response = app.test_client().post("/test/invitations")

    assert response.status_code == 201
    assert mail_links() == 0  # SMTP at a closed port
    assert identity.count("accounts") == 1
    assert links(identity) == [("invitation", True, False)]
