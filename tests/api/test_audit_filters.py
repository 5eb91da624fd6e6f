"""``/audit`` filters: ``user=`` (by username), ``since=`` (inclusive) and ``until=`` (exclusive)
with any UTC offset, and keyset pages through ``next_cursor`` that neither overlap nor skip."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from tests.support.seed import USERS


def stamp(entry: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(entry["occurred_at"])


def listing(client, **query) -> dict:
    response = client.get("/audit", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def ids(items: list[dict]) -> list[int]:
    return [e["id"] for e in items]


def walk(client, limit: int, **query) -> list[list[int]]:
    """Every page of a listing, following next_cursor."""
    pages, cursor = [], None
    while True:
        page = listing(client, limit=limit, **query, **({"cursor": cursor} if cursor else {}))
        assert page["limit"] == limit
        pages.append(ids(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 500, "the cursor does not advance"


# ---------------------------------------------------------------------------------------------
# user=


def test_user_filter_keeps_only_that_users_entries(as_user, admin):
    coord_a_id = as_user("coord_a").get("/auth/me").json["id"]
    mine = as_user("coord_a").post("/auth/tokens", json={"name": "mine"}).json["id"]
    theirs = as_user("coord_b").post("/auth/tokens", json={"name": "theirs"}).json["id"]

    everything = listing(admin, limit=1000)["items"]
    assert {e["username"] for e in everything} > {"coord_a"}  # the filter has something to remove
    items = listing(admin, user="coord_a", limit=1000)["items"]
    assert items and {e["user_id"] for e in items} == {coord_a_id}
    assert {e["username"] for e in items} == {"coord_a"}
    assert ids(items) == [e["id"] for e in everything if e["user_id"] == coord_a_id]
    tokens = {e["details"]["token_id"] for e in items if e["action"] == "auth.token_issued"}
    assert mine in tokens and theirs not in tokens

    assert ids(listing(admin, user="COORD_A", limit=1000)["items"]) == ids(items)  # usernames are lower case
    combined = listing(admin, user="coord_b", action="auth.token_issued", limit=1000)["items"]
    assert theirs in {e["details"]["token_id"] for e in combined}
    assert {(e["username"], e["action"]) for e in combined} == {("coord_b", "auth.token_issued")}


def test_user_filter_with_an_unknown_username_finds_nothing(admin):
    page = listing(admin, user="no.such.user")
    assert page["items"] == [] and page["next_cursor"] is None


# ---------------------------------------------------------------------------------------------
# since= / until=


@pytest.fixture
def three_tokens(as_user, admin):
    """Three auth.token_issued entries of coord_a, in order: (token ids, their audit entries)."""
    coord = as_user("coord_a")
    token_ids = [coord.post("/auth/tokens", json={"name": f"t{i}"}).json["id"] for i in range(3)]
    issued = {e["details"]["token_id"]: e
              for e in listing(admin, user="coord_a", action="auth.token_issued", limit=1000)["items"]}
    entries = [issued[t] for t in token_ids]
    assert stamp(entries[0]) < stamp(entries[1]) < stamp(entries[2])
    return token_ids, entries


def window(admin, **bounds) -> list[int]:
    """Token ids of coord_a's auth.token_issued entries in a time window, newest first."""
    items = listing(admin, user="coord_a", action="auth.token_issued", limit=1000, **bounds)["items"]
    return [e["details"]["token_id"] for e in items]


def test_since_is_inclusive_and_until_exclusive(admin, three_tokens):
    (a, b, c), (_, entry_b, entry_c) = three_tokens
    assert window(admin) == [c, b, a]  # the seed issued coord_a's token as the system, not as coord_a

    assert window(admin, since=entry_b["occurred_at"]) == [c, b]
    assert window(admin, until=entry_b["occurred_at"]) == [a]
    assert window(admin, since=entry_b["occurred_at"], until=entry_c["occurred_at"]) == [b]
    assert window(admin, since=entry_c["occurred_at"], until=entry_c["occurred_at"]) == []


def test_since_and_until_compare_instants_whatever_the_offset(admin, three_tokens):
    (_, b, _), (_, entry_b, entry_c) = three_tokens
    shanghai = dt.timezone(dt.timedelta(hours=8))
    new_york = dt.timezone(dt.timedelta(hours=-5))
    since = stamp(entry_b).astimezone(shanghai).isoformat()
    until = stamp(entry_c).astimezone(new_york).isoformat()
    assert "+08:00" in since and "-05:00" in until
    assert window(admin, since=since, until=until) == [b]


def test_since_and_until_combine_with_order_and_other_filters(admin, three_tokens):
    (a, b, c), (entry_a, _, entry_c) = three_tokens
    items = listing(admin, user="coord_a", action="auth.token_issued", since=entry_a["occurred_at"],
                    until=entry_c["occurred_at"], order="oldest")["items"]
    assert [e["details"]["token_id"] for e in items] == [a, b]


def test_a_time_without_offset_is_refused(admin):
    response = admin.get("/audit", query_string={"since": "2025-01-01T00:00:00"})
    assert response.status_code == 422
    assert "since" in response.json["errors"]["query"]
    assert admin.get("/audit", query_string={"until": "yesterday"}).status_code == 422


# ---------------------------------------------------------------------------------------------
# next_cursor


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_second_page_follows_the_first_without_overlap(admin, order):
    unpaged = listing(admin, order=order, limit=1000)
    assert unpaged["next_cursor"] is None  # the whole trail in one listing
    everything = ids(unpaged["items"])
    assert len(everything) > 10

    first = listing(admin, order=order, limit=5)
    assert len(first["items"]) == 5 and first["next_cursor"]
    second = listing(admin, order=order, limit=5, cursor=first["next_cursor"])
    assert len(second["items"]) == 5 and second["next_cursor"]
    assert not set(ids(first["items"])) & set(ids(second["items"]))
    assert ids(first["items"]) + ids(second["items"]) == everything[:10]


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_pages_together_are_the_unpaged_listing(admin, order):
    unpaged = listing(admin, order=order, limit=1000)
    assert unpaged["next_cursor"] is None
    everything = ids(unpaged["items"])
    stamps = [(stamp(e), e["id"]) for e in unpaged["items"]]
    assert stamps == sorted(stamps, reverse=order == "newest")

    pages = walk(admin, 7, order=order)
    assert len(pages) == -(-len(everything) // 7) and len(pages) >= 2
    assert all(len(page) == 7 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 7
    flat = [entry_id for page in pages for entry_id in page]
    assert len(flat) == len(set(flat))  # no entry on two pages
    assert flat == everything


def test_pages_of_a_filtered_listing_keep_the_filter(admin):
    unpaged = ids(listing(admin, action="auth.token_issued", limit=1000)["items"])
    assert len(unpaged) == len(USERS)  # the seed issued one token per user
    pages = walk(admin, 3, action="auth.token_issued")
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [entry_id for page in pages for entry_id in page] == unpaged


def test_an_entry_written_between_pages_does_not_shift_the_next_page(as_user, admin):
    everything = ids(listing(admin, limit=1000)["items"])
    first = listing(admin, limit=5)
    assert ids(first["items"]) == everything[:5]
    assert as_user("coord_a").post("/auth/tokens", json={"name": "meanwhile"}).status_code == 201
    second = listing(admin, limit=5, cursor=first["next_cursor"])
    assert ids(second["items"]) == everything[5:10]  # keyset, not offset: the new entry moves nothing
    assert listing(admin, limit=1)["items"][0]["action"] == "auth.token_issued"  # yet it is there


def test_a_cursor_that_is_not_one_is_refused(admin):
    response = admin.get("/audit", query_string={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


def test_a_forged_cursor_with_a_time_without_offset_is_refused_not_a_server_error(admin):
    forged = base64.urlsafe_b64encode(b"2025-01-01T00:00:00|5").decode().rstrip("=")
    response = admin.get("/audit", query_string={"cursor": forged})
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]
