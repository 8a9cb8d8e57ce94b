"""dlt `rest_api` peers of the taps, as a competent dlt user would write them today.

Runs in the bench-only virtualenv (`.venv-bench`, dlt from requirements-bench.txt) and
talks to a sandbox over HTTP like the taps do. Usage (the bench drives it):

    python bench/peers.py greenhouse '{"api_url": ..., "resources": [...]}' extract
    python bench/peers.py invenias '{...}' run   # run() into PostgreSQL

Prints one JSON line: {"records": n, "by_resource": {...}, "seconds": s}.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import dlt
import requests
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth, OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import (
    HeaderLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)
from dlt.sources.rest_api import rest_api_source

# Resources whose list needs a flag to return every row (as the taps send).
GREENHOUSE_PARAMS = {
    "users": {"show_service_accounts": "true"},
    "rejection_reasons": {"include_defaults": "true"},
}


@configspec
class HarvestClientCredentials(OAuth2ClientCredentials):
    """Harvest v3 wants the client credentials as HTTP Basic on the token request."""

    def build_access_token_request(self) -> dict[str, Any]:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return {
            "headers": {"Authorization": f"Basic {basic}"},
            "data": {"grant_type": "client_credentials"},
        }


def greenhouse(config: dict[str, Any]) -> Any:
    """Harvest v3: OAuth2 client credentials, Link-header paging, 500 rows a page."""
    auth = HarvestClientCredentials(
        access_token_url=config["auth_url"],
        client_id=config["client_id"],
        client_secret=config["client_secret"],
    )
    resources = [
        {
            "name": name,
            "endpoint": {
                "path": name,
                "params": {"per_page": 500, **GREENHOUSE_PARAMS.get(name, {})},
            },
        }
        for name in config["resources"]
    ]
    return rest_api_source(
        {
            "client": {
                "base_url": config["api_url"],
                "auth": auth,
                "paginator": HeaderLinkPaginator(),
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "replace"},
            "resources": resources,
        }
    )


def invenias(config: dict[str, Any]) -> Any:
    """Invenias: a password-grant token, then POST {entity}/list paged by PageIndex."""
    token = requests.post(
        f"{config['base_url']}/identity/connect/token",
        data={
            "grant_type": "password",
            "client_id": config["client_id"],
            "client_secret": config["client_secret"],
            "username": config["username"],
            "password": config["password"],
            "scope": "openid profile api email",
            "subdomain": config["subdomain"],
        },
        timeout=60,
    ).json()["access_token"]
    resources = [
        {
            "name": name,
            "endpoint": {
                "path": f"{path}/list",
                "method": "POST",
                "json": {"PageSize": 1000, "PageIndex": 0},
                "data_selector": "Items",
                "paginator": PageNumberPaginator(
                    base_page=0, page_body_path="PageIndex", total_path=None
                ),
            },
        }
        for name, path in config["resources"].items()
    ]
    return rest_api_source(
        {
            "client": {"base_url": f"{config['base_url']}/api/v1/", "auth": BearerTokenAuth(token)},
            "resource_defaults": {"primary_key": "ItemId", "write_disposition": "replace"},
            "resources": resources,
        }
    )


def bullhorn(config: dict[str, Any]) -> Any:
    """Bullhorn: the OAuth login chain by hand, then query/{Entity} with a BhRestToken."""
    session = requests.Session()
    info = session.get(
        config["login_info_url"], params={"username": config["username"]}, timeout=60
    ).json()
    oauth = info["oauthUrl"].rstrip("/")
    authorized = session.post(
        f"{oauth}/authorize",
        data={
            "client_id": config["client_id"],
            "response_type": "code",
            "action": "Login",
            "username": config["username"],
            "password": config["password"],
        },
        allow_redirects=False,
        timeout=60,
    )
    code = parse_qs(urlparse(authorized.headers["Location"]).query)["code"][0]
    access = session.post(
        f"{oauth}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": config["client_id"],
            "client_secret": config["client_secret"],
        },
        timeout=60,
    ).json()["access_token"]
    login = session.post(
        f"{info['restUrl'].rstrip('/')}/login",
        params={"version": "*"},
        data={"access_token": access},
        timeout=60,
    ).json()
    resources = [
        {
            "name": name,
            "endpoint": {
                "path": f"query/{entity}",
                "params": {"where": "id>0", "fields": "*", "orderBy": "id"},
                "data_selector": "data",
                "paginator": OffsetPaginator(
                    limit=500, offset_param="start", limit_param="count", total_path=None
                ),
            },
        }
        for name, entity in config["resources"].items()
    ]
    return rest_api_source(
        {
            "client": {
                "base_url": login["restUrl"],
                "headers": {"BhRestToken": login["BhRestToken"]},
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "replace"},
            "resources": resources,
        }
    )


SOURCES = {"greenhouse": greenhouse, "invenias": invenias, "bullhorn": bullhorn}


def main() -> int:
    """Build the vendor's source, extract (or run) it, print what it got."""
    vendor, raw_config, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    config = json.loads(raw_config)
    counts: dict[str, int] = {}

    def counter(name: str) -> Any:
        def count(item: Any) -> Any:
            counts[name] = counts.get(name, 0) + 1
            return item

        return count

    started = time.monotonic()
    source = SOURCES[vendor](config)
    for name, resource in source.resources.items():
        resource.add_map(counter(name))
    if mode == "run":
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{vendor}",
            destination=dlt.destinations.postgres(config["postgres_url"]),
            dataset_name=config["dataset"],
            pipelines_dir=config["pipelines_dir"],
        )
        pipeline.run(source)
    else:
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{vendor}", pipelines_dir=config["pipelines_dir"]
        )
        pipeline.extract(source)
    seconds = time.monotonic() - started
    print(json.dumps({"records": sum(counts.values()), "by_resource": counts, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
