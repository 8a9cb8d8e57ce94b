"""Response shapes of the Bullhorn sandbox, each checked against where it is documented.

Sources are files of the official docs repo bullhorn/rest-api-docs (source/includes/*.md,
published at https://bullhorn.github.io/rest-api-docs), as summarised in
shared/reference/bullhorn.md.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sandbox.core.ratelimit import FixedWindowLimiter
from sandbox.core.registry import start_server


@pytest.fixture
def bullhorn():
    server = start_server("bullhorn", records=60, seed=2)
    try:
        yield server
    finally:
        server.stop()


def _login(server):
    creds = server.app.credentials()
    info = requests.get(creds["login_info_url"], params={"username": creds["username"]}, timeout=10)
    oauth = info.json()["oauthUrl"]
    auth = requests.post(
        f"{oauth}/authorize",
        data={
            "client_id": creds["client_id"],
            "response_type": "code",
            "action": "Login",
            "username": creds["username"],
            "password": creds["password"],
        },
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlparse(auth.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{oauth}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
        timeout=10,
    ).json()
    login = requests.post(
        f"{info.json()['restUrl']}/login",
        data={"version": "*", "access_token": token["access_token"]},
        timeout=10,
    ).json()
    return info.json(), auth, token, login


def test_login_chain_shapes(bullhorn):
    info, auth, token, login = _login(bullhorn)
    # _intro.md / sdk-rest RestApiSession.getLoginInfoFromApi: oauthUrl and restUrl.
    assert {"oauthUrl", "restUrl"} <= set(info)
    # bullhorn.github.io/docs/oauth: authorize answers a redirect with ?code= in Location.
    assert auth.status_code == 302
    # Same page: the token response carries access_token, refresh_token, expires_in.
    assert {"access_token", "refresh_token", "expires_in", "token_type"} <= set(token)
    # _login.md: BhRestToken and a per-corporation restUrl ending in /rest-services/{corp}/.
    assert set(login) == {"BhRestToken", "restUrl"}
    assert login["restUrl"].endswith("/rest-services/sbx7q/")


def test_session_errors_and_ping(bullhorn):
    _, _, _, login = _login(bullhorn)
    rest = login["restUrl"]
    # _authorization.md: no token → 412, bad or expired token → 401.
    assert requests.get(f"{rest}ping", timeout=10).status_code == 412
    assert requests.get(f"{rest}ping", headers={"BhRestToken": "x"}, timeout=10).status_code == 401
    # _ping.md: {"sessionExpires": epochMillis}.
    ping = requests.get(f"{rest}ping", headers={"BhRestToken": login["BhRestToken"]}, timeout=10)
    assert isinstance(ping.json()["sessionExpires"], int)


def test_consent_page_for_unapproved_client(bullhorn):
    bullhorn.app.approved.clear()
    creds = bullhorn.app.credentials()
    auth = requests.post(
        f"{bullhorn.base_url}/oauth/authorize",
        data={
            "client_id": creds["client_id"],
            "response_type": "code",
            "action": "Login",
            "username": creds["username"],
            "password": creds["password"],
        },
        allow_redirects=False,
        timeout=10,
    )
    # jonathanraftery/bullhorn-rest-client README: first use shows an HTML consent form.
    assert auth.status_code == 200
    assert "text/html" in auth.headers["Content-Type"]


def test_meta_query_and_to_many_shapes(bullhorn):
    bullhorn.app.limiter = FixedWindowLimiter(1500, 60.0)
    _, _, _, login = _login(bullhorn)
    rest, headers = login["restUrl"], {"BhRestToken": login["BhRestToken"]}
    # _meta.md: fields with name/type/dataType/label; TO_ONE/TO_MANY with associatedEntity.
    meta = requests.get(
        f"{rest}meta/Candidate", params={"fields": "*", "meta": "full"}, headers=headers, timeout=10
    ).json()
    by_name = {field["name"]: field for field in meta["fields"]}
    assert by_name["id"]["type"] == "ID"
    assert by_name["dateLastModified"]["dataType"] == "Timestamp"
    assert by_name["owner"]["type"] == "TO_ONE"
    assert by_name["primarySkills"]["associatedEntity"]["entity"] == "Skill"
    assert by_name["address"]["type"] == "COMPOSITE"
    assert by_name["customText1"]["label"] == "Preferred Contact Method"
    # _query.md: {start, count, data}; timestamps are epoch millis; count capped at 500.
    page = requests.get(
        f"{rest}query/Candidate",
        params={"where": "id>0", "fields": "*", "orderBy": "id", "count": 900},
        headers=headers,
        timeout=10,
    )
    body = page.json()
    assert set(body) == {"start", "count", "data"}
    assert isinstance(body["data"][0]["dateLastModified"], int)
    # dataloader task/ExportTask.java: inline to-many is {total, data}, data cut at 5.
    skills = [row["primarySkills"] for row in body["data"]]
    assert any(s["total"] > len(s["data"]) == 5 for s in skills)
    # Bullhorn KB API limits / bullhorn-auth-client: per-minute rate-limit headers.
    assert "x-ratelimit-remaining-minute" in page.headers
    # _entity.md: entity/{Entity}/{id}/{toMany} lists every associated row.
    full = next(row for row in body["data"] if row["primarySkills"]["total"] > 5)
    links = requests.get(
        f"{rest}entity/Candidate/{full['id']}/primarySkills",
        params={"fields": "id", "count": 500},
        headers=headers,
        timeout=10,
    ).json()
    assert links["count"] == full["primarySkills"]["total"]
    # _query.md: POST form of query for long where clauses.
    posted = requests.post(
        f"{rest}query/Lead",
        params={"fields": "id", "count": 500},
        json={"where": "id>0"},
        headers=headers,
        timeout=10,
    ).json()
    assert posted["count"] == len(bullhorn.app.dump("Lead"))


def test_event_subscription_shapes(bullhorn):
    _, _, _, login = _login(bullhorn)
    rest, headers = login["restUrl"], {"BhRestToken": login["BhRestToken"]}
    url = f"{rest}event/subscription/s1"
    # _subscription.md: PUT creates; GET with maxEvents returns {requestId, events[...]},
    # an empty answer when nothing is waiting; requestId re-gets a batch.
    created = requests.put(
        url,
        params={"type": "entity", "names": "Placement", "eventTypes": "DELETED"},
        headers=headers,
        timeout=10,
    ).json()
    assert {"subscriptionId", "createdOn", "jmsSelector"} <= set(created)
    empty = requests.get(url, params={"maxEvents": 10}, headers=headers, timeout=10)
    assert empty.status_code == 200
    assert not empty.content
    bullhorn.app.mutate("delete", "Placement", 1)
    batch = requests.get(url, params={"maxEvents": 10}, headers=headers, timeout=10).json()
    event = batch["events"][0]
    assert {"entityName", "entityId", "entityEventType", "eventTimestamp"} <= set(event)
    again = requests.get(
        url, params={"requestId": batch["requestId"]}, headers=headers, timeout=10
    ).json()
    assert again["events"] == batch["events"]
