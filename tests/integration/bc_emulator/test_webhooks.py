"""Webhook subscriptions: handshake, renew, expiry, debounce/merge, collection, retry and delete rules."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox.bc import BcEmulator

from .helpers import seed_basics

pytestmark = [pytest.mark.integration, pytest.mark.bc]


def subscribe(api: httpx.Client, url: str, company: str, entity_set: str = "customers") -> dict:
    response = api.post(
        "/subscriptions",
        json={"notificationUrl": url, "resource": f"/api/v2.0/companies({company})/{entity_set}", "clientState": "cs"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_create_requires_handshake(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    url = receiver.url()
    receiver.handshake_ok[httpx.URL(url).path] = False
    response = api.post(
        "/subscriptions", json={"notificationUrl": url, "resource": f"/api/v2.0/companies({company})/customers"}
    )
    assert response.status_code == 400
    assert "validation" in response.json()["error"]["message"]
    sub = subscribe(api, receiver.url(), company)
    assert sub["subscriptionId"] and sub["expirationDateTime"].endswith("Z")
    assert api.get(f"/subscriptions('{sub['subscriptionId']}')").status_code == 200


def test_only_supported_resources(api: httpx.Client, company: str, receiver):
    for entity_set in ("salesShipments", "itemLedgerEntries", "salesOrderLines"):
        response = api.post(
            "/subscriptions",
            json={"notificationUrl": receiver.url(), "resource": f"/api/v2.0/companies({company})/{entity_set}"},
        )
        assert response.status_code == 400, entity_set


def test_renew_needs_if_match_and_handshake(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    url = receiver.url()
    sub = subscribe(api, url, company)
    target = f"/subscriptions('{sub['subscriptionId']}')"
    bc.age_subscriptions(24 * 3600)
    aged = api.get(target).json()
    assert aged["expirationDateTime"] < sub["expirationDateTime"]
    assert api.patch(target, json={}).status_code == 400
    assert api.patch(target, json={}, headers={"If-Match": 'W/"stale"'}).status_code == 409
    renewed = api.patch(target, json={"clientState": "new"}, headers={"If-Match": sub["@odata.etag"]})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["expirationDateTime"] > aged["expirationDateTime"]
    assert renewed.json()["clientState"] == "new"
    receiver.handshake_ok[httpx.URL(url).path] = False
    failed = api.patch(target, json={}, headers={"If-Match": "*"})
    assert failed.status_code == 400
    assert api.delete(target, headers={"If-Match": "*"}).status_code == 204
    assert api.get(target).status_code == 404


def test_debounced_notifications_merged_per_url(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    url = receiver.url()
    customers = subscribe(api, url, company, "customers")
    items = subscribe(api, url, company, "items")
    seed_basics(bc, company)  # creates 1 customer and 2 items
    bc.set_price("1896-S", 101, company)  # updated after created: still one 'created' per item
    assert receiver.posts(url) == []  # debounce window still open
    wait_for(lambda: receiver.posts(url))
    time.sleep(0.4)
    posts = receiver.posts(url)
    assert len(posts) == 1
    entries = posts[0]["value"]
    by_sub = {e["subscriptionId"] for e in entries}
    assert by_sub == {customers["subscriptionId"], items["subscriptionId"]}
    assert sorted(e["changeType"] for e in entries) == ["created", "created", "created"]
    assert all(e["resource"].startswith(f"api/v2.0/companies({company})/") for e in entries)


def test_stock_changes_do_not_notify_but_price_changes_do(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    seed_basics(bc, company)
    url = receiver.url()
    subscribe(api, url, company, "items")
    bc.set_stock("1896-S", 99, company)
    bc.flush_webhooks()
    assert receiver.posts(url) == []
    bc.set_price("1896-S", 120, company)
    bc.flush_webhooks()
    assert [e["changeType"] for e in receiver.posts(url)[0]["value"]] == ["updated"]


def test_collection_over_threshold(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    url = receiver.url()
    subscribe(api, url, company, "customers")
    old = bc.hub.config.collection_threshold
    bc.hub.config.collection_threshold = 5
    try:
        for i in range(6):
            bc.add_customer(company, displayName=f"Bulk {i}")
        bc.flush_webhooks()
    finally:
        bc.hub.config.collection_threshold = old
    entries = receiver.posts(url)[0]["value"]
    assert len(entries) == 1 and entries[0]["changeType"] == "collection"
    resource = entries[0]["resource"]
    assert "$filter=lastModifiedDateTime%20gt%20" in resource
    since = resource.split("%20gt%20")[1]
    listed = api.get(f"/companies({company})/customers", params={"$filter": f"lastModifiedDateTime gt {since}"})
    assert len(listed.json()["value"]) == 6


def test_retry_on_5xx_then_delete_on_4xx(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    url = receiver.url()
    path = httpx.URL(url).path
    sub = subscribe(api, url, company)
    receiver.statuses[path] = [503, 200]
    bc.add_customer(company, displayName="Retry me")
    bc.flush_webhooks()
    wait_for(lambda: len(receiver.posts(url)) == 2)
    assert bc.hub.get(sub["subscriptionId"]) is not None
    receiver.statuses[path] = [404]
    bc.add_customer(company, displayName="Gone")
    bc.flush_webhooks()
    wait_for(lambda: bc.hub.get(sub["subscriptionId"]) is None)
    assert api.get(f"/subscriptions('{sub['subscriptionId']}')").status_code == 404


def test_expired_subscriptions_stop_and_disappear(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    url = receiver.url()
    sub = subscribe(api, url, company)
    bc.advance_clock(3 * 24 * 3600 + 1)
    try:
        bc.add_customer(company, displayName="Too late")
        bc.flush_webhooks()
        assert receiver.posts(url) == []
        ids = [s["subscriptionId"] for s in api.get("/subscriptions").json()["value"]]
        assert sub["subscriptionId"] not in ids
    finally:
        bc.advance_clock(-(3 * 24 * 3600 + 1))


def test_control_deletes_subscriptions(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    sub = subscribe(api, receiver.url(), company)
    assert bc.delete_subscriptions(sub["subscriptionId"]) == 1
    assert api.get(f"/subscriptions('{sub['subscriptionId']}')").status_code == 404
