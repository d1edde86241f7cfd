"""Lists: pages of a limit, an opaque cursor, a stable order, filters (PostgreSQL and SQLite)."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration


def test_paging_with_the_cursor_lists_every_entry_once_in_a_stable_order(client, catalog):
    added = sorted(catalog.product(name=f"Product {n}")["id"] for n in range(7))
    seen, cursor, pages = [], None, 0

    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(catalog.url("/products"), query_string=query).get_json()
        seen += [p["id"] for p in page["products"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert (seen, pages) == (added, 3)


def test_entries_added_while_paging_are_neither_repeated_nor_do_they_shift_the_pages(client, catalog):
    held = sorted(catalog.product(name=f"Product {n}")["id"] for n in range(3))
    page = client.get(catalog.url("/products"), query_string={"limit": 2}).get_json()
    time.sleep(0.002)  # ids are ordered to the millisecond: this one is surely later
    newer = catalog.product(name="Added meanwhile")["id"]

    rest = client.get(catalog.url("/products"), query_string={"cursor": page["next_cursor"]}).get_json()

    assert [p["id"] for p in page["products"]] == held[:2]
    assert [p["id"] for p in rest["products"]] == [held[2], newer]


def test_a_list_defaults_to_active_entries_and_shows_archived_ones_on_request(client, catalog):
    kept, archived = catalog.product(name="Kept"), catalog.product(name="Archived")
    client.post(catalog.url(f"/products/{archived['id']}/archive"), headers={"If-Match": '"1"'})

    def ids(status=None):
        query = {"status": status} if status else {}
        return {p["id"] for p in client.get(catalog.url("/products"), query_string=query).get_json()["products"]}

    assert (ids(), ids("active"), ids("archived"), ids("all")) == (
        {kept["id"]}, {kept["id"]}, {archived["id"]}, {kept["id"], archived["id"]})


@pytest.mark.parametrize(("query", "fields"), [
    ({"limit": "0"}, ["limit"]), ({"limit": "101"}, ["limit"]), ({"limit": "ten"}, ["limit"]),
    ({"limit": "²"}, ["limit"]), ({"status": "deleted"}, ["status"]), ({"cursor": "not a cursor!"}, ["cursor"]),
    ({"cursor": "AAAA"}, ["cursor"]), ({"provider_id": "ana"}, ["provider_id"]),
    ({"limit": "-1", "status": "x", "provider_id": "1"}, ["status", "limit", "provider_id"]),
])
def test_malformed_list_parameters_are_refused_per_parameter(client, catalog, fields_of, query, fields):
    response = client.get(catalog.url("/services"), query_string=query)

    assert (response.status_code, fields_of(response)) == (422, fields)


def test_a_full_page_of_one_hundred_is_allowed(client, catalog):
    assert client.get(catalog.url("/services"), query_string={"limit": 100}).status_code == 200
