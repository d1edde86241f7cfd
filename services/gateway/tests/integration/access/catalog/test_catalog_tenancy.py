"""Staff of one clinic can neither read nor change another clinic's catalog (issue 4): not
through the other clinic's routes (404, exactly as for a clinic that does not exist), nor by
naming the other clinic's entries on their own clinic's routes (catalog finds nothing there)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

MONEY = {"amount_minor": 20000, "currency": "RON"}


@pytest.fixture
def victim(other_offer) -> dict[str, dict]:
    """The other clinic's catalog: a specialist, a service with a calendar and a document, a
    product and a plan bundling it."""
    provider = other_offer.provider()
    service = other_offer.service(provider_ids=[provider["id"]])
    calendar = other_offer.calendar(service)
    document = other_offer.document(service)
    product = other_offer.product()
    plan = other_offer.plan([service], products=[{"product_id": product["id"]}])
    return {"provider": provider, "service": service, "calendar": calendar, "document": document,
            "product": product, "plan": plan}


def entry_paths(victim) -> dict[str, str]:
    service = f"/services/{victim['service']['id']}"
    return {"provider": f"/providers/{victim['provider']['id']}", "service": service,
            "calendar": f"{service}/calendars/{victim['calendar']['id']}",
            "document": f"{service}/documents/{victim['document']['id']}",
            "product": f"/products/{victim['product']['id']}", "plan": f"/plans/{victim['plan']['id']}"}


def reads(victim) -> list[str]:
    paths = entry_paths(victim)
    return [*paths.values(), f"{paths['document']}/content", f"{paths['service']}/calendars", "/providers",
            "/services", "/plans", "/products", "/profile"]


def changes(victim) -> list[tuple[str, str, dict | None]]:
    paths = entry_paths(victim)
    return [
        ("PUT", paths["service"], {"name": "Hijacked", "duration_minutes": 10, "price": MONEY}),
        ("PUT", paths["provider"], {"name": "Hijacked", "email": "thief@example.com", "timezone": "UTC"}),
        ("PUT", paths["product"], {"name": "Hijacked", "price": MONEY}),
        ("PUT", paths["calendar"], {"name": "Hijacked", "kind": "standard"}),
        ("POST", f"{paths['service']}/archive", None), ("POST", f"{paths['plan']}/archive", None),
        ("POST", f"{paths['document']}/archive", None), ("POST", f"{paths['calendar']}/archive", None),
        ("POST", f"{paths['provider']}/archive", None), ("POST", f"{paths['product']}/archive", None),
        ("POST", f"{paths['service']}/calendars", {"name": "Hijacked", "kind": "standard"}),
    ]


def snapshot(other_offer, victim) -> dict[str, object]:
    """What the other clinic's admin sees of its catalog."""
    return {name: other_offer.platform.call("GET", other_offer.path + path, other_offer.clinic.admin)
            for name, path in entry_paths(victim).items()}


def test_another_clinics_admin_reads_nothing_of_the_catalog_and_learns_nothing(platform, offer, other_offer, victim,
                                                                              problem_of):
    intruder = offer.clinic.admin
    unknown = problem_of(platform.client.get("/v1/admin/clinics/no-such-clinic/services", headers=intruder.headers))

    for path in reads(victim):
        response = platform.client.get(other_offer.path + path, headers=intruder.headers)

        assert response.status_code == 404, path
        body = problem_of(response)
        assert {k: v for k, v in body.items() if k != "instance"} == {k: v for k, v in unknown.items()
                                                                      if k != "instance"}


def test_another_clinics_admin_changes_nothing_of_the_catalog(platform, offer, other_offer, victim, catalog_rows):
    before, seen = catalog_rows.counts(), snapshot(other_offer, victim)

    for method, path, body in changes(victim):
        response = platform.client.open(other_offer.path + path, method=method, json=body,
                                        headers={**offer.clinic.admin.headers, "If-Match": '"1"'})

        assert response.status_code == 404, f"{method} {path}"
    assert (catalog_rows.counts(), snapshot(other_offer, victim)) == (before, seen)


def test_naming_another_clinics_entries_on_ones_own_routes_finds_nothing(platform, offer, other_offer, victim,
                                                                         problem_of):
    for path in entry_paths(victim).values():
        for suffix in ("", "/content") if "/documents/" in path else ("",):
            response = platform.client.get(offer.path + path + suffix, headers=offer.clinic.admin.headers)

            assert response.status_code == 404, path + suffix
            assert problem_of(response)["type"].endswith("/not-found")
            body = response.get_data(as_text=True)
            assert str(other_offer.clinic.id) not in body and other_offer.clinic.slug not in body


def test_changing_another_clinics_entries_on_ones_own_routes_changes_nothing(platform, offer, other_offer, victim,
                                                                             catalog_rows):
    before, seen = catalog_rows.counts(), snapshot(other_offer, victim)

    answers = {f"{method} {path}": platform.client.open(offer.path + path, method=method, json=body,
                                                        headers={**offer.clinic.admin.headers,
                                                                 "If-Match": '"1"'}).status_code
               for method, path, body in changes(victim)}

    assert set(answers.values()) == {404}, answers
    assert (catalog_rows.counts(), snapshot(other_offer, victim)) == (before, seen)


def test_a_clinics_lists_never_show_another_clinics_entries(platform, offer, other_offer, victim):
    own = offer.service()

    listed = {kind: platform.call("GET", f"{offer.path}/{kind}?status=all", offer.clinic.admin)[kind]
              for kind in ("providers", "services", "plans", "products")}

    assert [s["id"] for s in listed["services"]] == [own["id"]]
    assert listed["providers"] == listed["plans"] == listed["products"] == []
