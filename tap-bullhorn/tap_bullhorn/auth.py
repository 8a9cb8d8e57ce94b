"""Bullhorn's partner login chain: loginInfo, authorize, token, REST login.

One `BullhornSession` per tap run holds the `BhRestToken` and the tenant `restUrl`. Streams
share it; a 401 triggers at most one new login per stale token, under a lock, because
Bullhorn rate-limits logins. Secrets travel in form bodies and headers, never in URLs.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from requests.auth import AuthBase

from tap_bullhorn.errors import BullhornAuthError

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_LOGIN_INFO_URL = "https://rest.bullhornstaffing.com/rest-services/loginInfo"
TRUSTED_SUFFIX = ".bullhornstaffing.com"
MAX_TTL_MINUTES = 2880
LOGIN_TIMEOUT_SECONDS = 60
LOGIN_ATTEMPTS = 3
REDIRECT_STATUSES = {307, 308}


class BullhornSession:
    """The REST session shared by every stream of one run."""

    def __init__(self, config: Mapping[str, Any], logger: logging.Logger) -> None:
        self.config = config
        self.logger = logger
        self.login_info_url = str(config.get("login_info_url") or DEFAULT_LOGIN_INFO_URL)
        self._lock = threading.Lock()
        self._http = requests.Session()
        self._token: str | None = None
        self._rest_url: str | None = None
        self.generation = 0
        self.logins = 0
        self._refresh_token: str | None = config.get("refresh_token") or None
        self._login_info: dict[str, Any] | None = None

    # -- public ------------------------------------------------------------------------------
    def current(self) -> tuple[str, int]:
        """The BhRestToken and its generation, logging in first if needed."""
        with self._lock:
            if self._token is None:
                self._login()
            assert self._token is not None
            return self._token, self.generation

    @property
    def rest_url(self) -> str:
        """The tenant REST base URL (`https://restN.../rest-services/{corp}/`)."""
        self.current()
        assert self._rest_url is not None
        return self._rest_url

    def relogin(self, stale_generation: int) -> None:
        """Log in again unless another thread already replaced the stale session."""
        with self._lock:
            if self.generation == stale_generation:
                self.logger.info("Bullhorn session expired; logging in again.")
                self._token = None
                self._login()

    # -- the chain -----------------------------------------------------------------------------
    def _login(self) -> None:
        access_token = self._access_token()
        rest_base = self._info()["restUrl"].rstrip("/")
        ttl = min(int(self.config.get("session_ttl_minutes") or MAX_TTL_MINUTES), MAX_TTL_MINUTES)
        response = self._post(
            f"{rest_base}/login",
            params={"version": "*"},
            data={"access_token": access_token, "ttl": str(ttl)},
            step="REST login",
        )
        body = self._json(response)
        token, rest_url = body.get("BhRestToken"), body.get("restUrl")
        if response.status_code != 200 or not token or not rest_url:
            raise BullhornAuthError(
                f"Bullhorn REST login failed ({response.status_code}): "
                f"{_message(body) or 'no BhRestToken in the answer'}"
            )
        self._token = str(token)
        self._rest_url = str(rest_url) if str(rest_url).endswith("/") else f"{rest_url}/"
        self.generation += 1
        self.logins += 1
        self.logger.info("Logged in to Bullhorn (REST base %s).", self._rest_url)

    def _info(self) -> dict[str, Any]:
        if self._login_info is None:
            username = self._setting("username")
            response = self._send(
                "GET", self.login_info_url, params={"username": username}, step="loginInfo"
            )
            body = self._json(response)
            if response.status_code != 200 or "oauthUrl" not in body or "restUrl" not in body:
                raise BullhornAuthError(
                    f"Bullhorn loginInfo failed for username {username!r} "
                    f"({response.status_code}): {_message(body) or 'no oauthUrl/restUrl'}"
                )
            self._login_info = body
        return self._login_info

    def _access_token(self) -> str:
        oauth = str(self._info()["oauthUrl"]).rstrip("/")
        client_id, client_secret = self._setting("client_id"), self._setting("client_secret")
        if self._refresh_token:
            refresh, self._refresh_token = self._refresh_token, None
            response = self._post(
                f"{oauth}/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh,
                    "client_id": client_id,
                    "client_secret": client_secret,
                },
                step="token refresh",
            )
            body = self._json(response)
            if response.status_code == 200 and body.get("access_token"):
                self._refresh_token = body.get("refresh_token")
                return str(body["access_token"])
            self.logger.warning(
                "The refresh_token was refused (%s); using the username/password login.",
                response.status_code,
            )
        code = self._authorization_code(oauth, client_id)
        response = self._post(
            f"{oauth}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            step="token",
        )
        body = self._json(response)
        if response.status_code != 200 or not body.get("access_token"):
            detail = body.get("error_description") or body.get("error") or response.reason
            raise BullhornAuthError(
                f"Bullhorn token exchange failed ({response.status_code}): {detail}. "
                "Check client_id and client_secret."
            )
        self._refresh_token = body.get("refresh_token")
        return str(body["access_token"])

    def _authorization_code(self, oauth: str, client_id: str) -> str:
        response = self._post(
            f"{oauth}/authorize",
            data={
                "client_id": client_id,
                "response_type": "code",
                "action": "Login",
                "username": self._setting("username"),
                "password": self._setting("password"),
            },
            step="authorize",
        )
        location = response.headers.get("Location")
        if response.is_redirect and location:
            code = parse_qs(urlparse(location).query).get("code")
            if code:
                return code[0]
        text = response.text.lower() if "html" in response.headers.get("Content-Type", "") else ""
        if "approve" in text or "consent" in text or "agree" in text:
            raise BullhornAuthError(
                "Bullhorn showed its consent page: approve this client_id once for the API "
                "user in a browser (open the authorize URL with client_id, response_type=code "
                "and log in), then run the tap again."
            )
        if text:
            raise BullhornAuthError(
                "Bullhorn refused the username or password (authorize returned its login page)."
            )
        body = self._json(response)
        detail = body.get("error_description") or body.get("error") or response.reason
        raise BullhornAuthError(
            f"Bullhorn authorize failed ({response.status_code}): {detail}. Check client_id."
        )

    # -- HTTP helpers --------------------------------------------------------------------------
    def _setting(self, name: str) -> str:
        value = self.config.get(name)
        if not value:
            raise BullhornAuthError(f"Setting {name} is required to log in to Bullhorn.")
        return str(value)

    def _post(
        self,
        url: str,
        data: dict[str, str],
        step: str,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        response = self._send("POST", url, params=params, data=data, step=step)
        if response.status_code in REDIRECT_STATUSES:
            target = urljoin(url, response.headers.get("Location", ""))
            if not self._trusted(target):
                raise BullhornAuthError(
                    f"Bullhorn {step} redirected to an untrusted host {urlparse(target).hostname}"
                )
            self.logger.info("Bullhorn %s moved to data centre %s.", step, urlparse(target).netloc)
            target_url = target.split("?", 1)[0]
            response = self._send("POST", target_url, params=params, data=data, step=step)
        return response

    def _trusted(self, url: str) -> bool:
        host = urlparse(url).hostname or ""
        own = urlparse(self.login_info_url).hostname or ""
        return host == own or host == TRUSTED_SUFFIX[1:] or host.endswith(TRUSTED_SUFFIX)

    def _send(
        self,
        method: str,
        url: str,
        step: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> requests.Response:
        for attempt in range(1, LOGIN_ATTEMPTS + 1):
            try:
                response = self._http.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    allow_redirects=False,
                    timeout=LOGIN_TIMEOUT_SECONDS,
                )
            except requests.RequestException as exc:
                if attempt == LOGIN_ATTEMPTS:
                    host = urlparse(url).netloc
                    raise BullhornAuthError(
                        f"Cannot reach Bullhorn {step} at {host}: {type(exc).__name__}. "
                        "Check login_info_url and the network."
                    ) from None
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return response
                if attempt == LOGIN_ATTEMPTS:
                    return response
            time.sleep(attempt)
        raise AssertionError  # pragma: no cover - the loop always returns or raises

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}


class BhRestTokenAuth(AuthBase):
    """Adds the session's `BhRestToken` header to a request."""

    def __init__(self, session: BullhornSession) -> None:
        self.session = session

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Set the header (logging in first when there is no session yet)."""
        token, _ = self.session.current()
        request.headers["BhRestToken"] = token
        return request


def _message(body: dict[str, Any]) -> str:
    return str(body.get("errorMessage") or body.get("error_description") or body.get("error") or "")
