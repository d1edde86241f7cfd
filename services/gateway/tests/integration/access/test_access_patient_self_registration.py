"""A patient signs up at a clinic's public route, confirms the address with the mailed link and
the password chosen, and is signed in. The answer is the same whether or not the address had an
account, so nobody learns who is registered; a sign-up nobody confirmed keeps nobody out and
shows nowhere."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

PASSWORD = "lantern over the quiet harbour"


@pytest.fixture(scope="module")
def clinic(platform):
    """The clinic these tests register patients at (not one other tests only read)."""
    return platform.clinic("signup")


def address(clinic) -> str:
    return f"pat-{uuid.uuid4().hex[:6]}@{clinic.slug}.example"


def register(client, clinic_slug: str, email: str, password: str = PASSWORD, **headers: str):
    return client.post(f"/v1/clinics/{clinic_slug}/patients/accounts", headers=headers,
                       json={"email": email, "display_name": "Petra Patient", "password": password})


def five_minutes_pass(platform) -> None:
    """Every address may be mailed a link of each kind again."""
    with platform.engine.begin() as connection:
        connection.execute(sa.text("UPDATE link_requests SET started_at = started_at - 300"))


def accounts_with(platform, email: str) -> int:
    with platform.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM accounts WHERE email = :e"), {"e": email}).scalar_one()


def confirm(client, token: str, password: str = PASSWORD):
    return client.post("/v1/auth/registration/confirm", json={"token": token, "password": password})


def test_a_patient_signs_up_confirms_the_address_is_signed_in_and_holds_the_patient_role(platform, clinic):
    email = address(clinic)

    response = register(platform.client, clinic.slug, email)
    before = platform.client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    platform.mail_links()
    confirmed = confirm(platform.client, platform.mail.link_token(email))
    login = platform.client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})

    assert response.status_code == 202, response.get_data(as_text=True)
    assert before.status_code == 401
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert login.status_code == 200, login.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {confirmed.get_json()['access_token']}"}
    me = platform.client.get("/v1/me", headers=headers).get_json()
    assert (me["kind"], me["clinic_id"], me["email"], me["status"]) == ("patient", str(clinic.id), email, "active")
    roles = platform.call("GET", f"{clinic.admin_path}/accounts/{me['id']}/roles", clinic.admin)["roles"]
    assert roles == ["patient"]
    own = platform.client.get(f"{clinic.admin_path}/accounts", headers=headers).get_json()["accounts"]
    assert [a["id"] for a in own] == [me["id"]]


def test_a_sign_up_shows_nowhere_until_confirmed_and_its_link_works_once(platform, clinic, problem_of):
    email = address(clinic)
    register(platform.client, clinic.slug, email)
    platform.mail_links()
    token = platform.mail.link_token(email)

    listed = platform.call("GET", f"{clinic.admin_path}/accounts?kind=patient", clinic.admin)["accounts"]
    wrong = confirm(platform.client, token, "not the password of this sign-up")
    right = confirm(platform.client, token)
    again = confirm(platform.client, token)

    assert email not in [a["email"] for a in listed]
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert again.status_code == 422
    assert [e["field"] for e in problem_of(again)["errors"]] == ["token"]


def test_a_stranger_s_sign_up_keeps_the_address_from_nobody(platform, clinic, tenants):
    """Someone signs up with another person's address: the owner still signs up and confirms, and
    the stranger's link then leads nowhere; the clinic could have invited the owner meanwhile."""
    email, invited = address(clinic), address(clinic)
    for someone in (email, invited):
        register(platform.client, clinic.slug, someone, password="a stranger typed this address")
    platform.mail_links()
    strangers_link = platform.mail.link_token(email)
    five_minutes_pass(platform)
    register(platform.client, clinic.slug, email)
    platform.mail_links()
    owners_link = platform.mail.link_token(email)

    owner = confirm(platform.client, owners_link)
    stranger = confirm(platform.client, strangers_link, "a stranger typed this address")
    staff = platform.call("POST", f"{tenants.other.admin_path}/accounts", tenants.other.admin, expect=201, json={
        "kind": "staff", "email": invited, "display_name": "Petra", "roles": ["receptionist"]})

    assert (owner.status_code, stranger.status_code) == (200, 422)
    assert (accounts_with(platform, email), accounts_with(platform, invited)) == (1, 1)
    assert staff["email"] == invited


def test_an_address_that_has_an_account_is_answered_the_same_and_mailed_a_reset_link(platform, clinic, tenants):
    taken = tenants.other.receptionist.email
    fresh = register(platform.client, clinic.slug, address(clinic))
    platform.mail_links()
    mailed = len(platform.mail.sent_to(taken))  # the invitation

    response = register(platform.client, clinic.slug, taken)
    platform.mail_links()

    assert (response.status_code, response.get_json()) == (fresh.status_code, fresh.get_json())
    assert accounts_with(platform, taken) == 1
    link = platform.mail.sent_to(taken)[mailed:]
    assert len(link) == 1
    assert "token=" in link[0].get_payload(decode=True).decode()


def test_a_weak_password_is_refused_and_nothing_is_created(platform, clinic, problem_of):
    email = address(clinic)

    response = register(platform.client, clinic.slug, email, password="short")

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["password"]
    assert accounts_with(platform, email) == 0


def test_registering_at_an_unknown_clinic_answers_404(platform, problem_of):
    response = register(platform.client, "no-such-clinic", "someone@example.com")

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No clinic here."


def test_a_repeated_idempotency_key_registers_once(platform, clinic):
    email = address(clinic)

    key = {"Idempotency-Key": f"signup-{uuid.uuid4().hex}"}

    first = register(platform.client, clinic.slug, email, **key)
    again = register(platform.client, clinic.slug, email, **key)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers["Idempotent-Replayed"] == "true"
    platform.mail_links()
    assert len(platform.mail.sent_to(email)) == 1  # the one confirmation link
    assert accounts_with(platform, email) == 0


def test_registration_is_rate_limited_per_client_address_as_tightly_as_a_password_reset(platform, clinic):
    gateway = platform.another_gateway(rate_limit_password_reset="2/minute", trusted_proxy_count="1")
    client = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250}"}  # an address of this test alone

    answers = [register(gateway, clinic.slug, address(clinic), **client).status_code for _ in range(3)]
    reset = gateway.post("/v1/auth/password-reset", json={"email": address(clinic)}, headers=client)

    assert answers == [202, 202, 429]
    assert reset.status_code == 429  # the same allowance


def test_an_address_is_mailed_one_link_in_five_minutes_however_often_it_signs_up(platform, clinic, tenants):
    """Else anyone could flood a mailbox with links: the sign-ups after the first record nothing."""
    taken, fresh = address(clinic), address(clinic)
    platform.call("POST", f"{tenants.other.admin_path}/accounts", tenants.other.admin, expect=201, json={
        "kind": "staff", "email": taken, "display_name": "Rita", "roles": ["receptionist"]})
    platform.mail_links()  # the invitation

    answers = {(response.status_code, str(response.get_json()))
               for response in (register(platform.client, clinic.slug, email) for _ in range(10) for email in (taken, fresh))}
    platform.mail_links()

    assert len(answers) == 1
    assert [m["Subject"] for m in platform.mail.sent_to(taken)][1:] == ["Reset your password"]
    assert len(platform.mail.sent_to(fresh)) == 1
    assert confirm(platform.client, platform.mail.link_token(fresh)).status_code == 200
