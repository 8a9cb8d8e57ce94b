"""Harvest v3 OAuth 2.0 client credentials: one token per run, renewed before it expires."""

from __future__ import annotations

import base64
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests
from singer_sdk.authenticators import OAuthAuthenticator

from tap_greenhouse.errors import GreenhouseAuthError

if TYPE_CHECKING:
    from collections.abc import Mapping

# Renew this long before the announced expiry so no request carries a dying token.
EXPIRY_MARGIN_SECONDS = 60
# Greenhouse documents a one-hour lifetime; used when the response names none.
DEFAULT_LIFETIME_SECONDS = 3600
TOKEN_ATTEMPTS = 3


class GreenhouseAuthenticator(OAuthAuthenticator):
    """Client-credentials authenticator shared by every stream of a tap run.

    Thread-safe; a token rejected with 401 is dropped once and fetched again, and a
    second rejection in a row becomes a fatal, explained error.
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        user_id: int | None = None,
    ) -> None:
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
            default_expiration=DEFAULT_LIFETIME_SECONDS,
            oauth_headers={"Authorization": f"Basic {basic}"},
        )
        self.user_id = user_id
        self.expires_at = 0.0
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self._rejections_since_success = 0

    @property
    def oauth_request_body(self) -> dict[str, Any]:
        """Form body of the token request; `sub` picks the user the token acts as."""
        body: dict[str, Any] = {"grant_type": "client_credentials"}
        if self.user_id is not None:
            body["sub"] = str(self.user_id)
        return body

    def is_token_valid(self) -> bool:
        """Valid until `EXPIRY_MARGIN_SECONDS` before the expiry Greenhouse announced."""
        return bool(self.access_token) and time.time() < self.expires_at - EXPIRY_MARGIN_SECONDS

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach a valid bearer token, fetching one first when needed."""
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            token = self.access_token
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def update_access_token(self) -> None:
        """POST the client credentials to the token endpoint and keep the token."""
        self.logger.info("Requesting a Harvest v3 access token")
        response = self._post_token_request()
        if response.status_code in {400, 401, 403}:
            raise GreenhouseAuthError(_token_error_message(response))
        if response.status_code != 200:
            msg = (
                f"Greenhouse token endpoint answered {response.status_code} "
                f"{response.reason}; try again later or check `auth_url`."
            )
            raise GreenhouseAuthError(msg)
        try:
            payload = response.json()
            token = str(payload["access_token"])
        except (ValueError, KeyError) as exc:
            msg = "Greenhouse token endpoint returned no access_token; check `auth_url`."
            raise GreenhouseAuthError(msg) from exc
        self.access_token = token
        self.expires_at = time.time() + _lifetime_seconds(payload)
        self.expires_in = int(self.expires_at - time.time())
        self.tokens_issued += 1
        self.last_refreshed = datetime.now(timezone.utc)

    def _post_token_request(self) -> requests.Response:
        last_error: requests.RequestException | None = None
        for attempt in range(TOKEN_ATTEMPTS):
            try:
                response = self._session.post(
                    self.auth_endpoint,
                    headers=self._oauth_headers,
                    data=self.oauth_request_payload,
                    timeout=60,
                )
            except requests.RequestException as exc:
                last_error = exc
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return response
                last_error = None
                if attempt == TOKEN_ATTEMPTS - 1:
                    return response
            time.sleep(2**attempt)
        msg = (
            f"Cannot reach the Greenhouse token endpoint `auth_url` ({self.auth_endpoint}): "
            f"{type(last_error).__name__}"
        )
        raise GreenhouseAuthError(msg)

    def note_success(self) -> None:
        """An API call succeeded: the current token is known to work."""
        self._rejections_since_success = 0

    def reject(self, sent_authorization: str | None) -> None:
        """Handle a 401: drop the token once, fail clearly the second time in a row."""
        with self._lock:
            self._rejections_since_success += 1
            if self._rejections_since_success > 1:
                msg = (
                    "Greenhouse answered 401 Unauthorized again with a newly issued token. "
                    "Check that the Harvest v3 credential (`client_id`/`client_secret`) is "
                    "still active and that `user_id` is a Site Admin."
                )
                raise GreenhouseAuthError(msg)
            if sent_authorization == f"Bearer {self.access_token}":
                self.access_token = None
                self.expires_at = 0.0


def _lifetime_seconds(payload: Mapping[str, Any]) -> float:
    """Seconds until expiry from `expires_in` or `expires_at` (sources disagree)."""
    if payload.get("expires_in") is not None:
        return float(payload["expires_in"])
    expires_at = payload.get("expires_at")
    if expires_at:
        try:
            if isinstance(expires_at, (int, float)):
                moment = float(expires_at)
            else:
                parsed = datetime.fromisoformat(str(expires_at).replace("Z", "+00:00"))
                moment = parsed.timestamp()
            return max(0.0, moment - time.time())
        except ValueError:
            pass
    return float(DEFAULT_LIFETIME_SECONDS)


def _token_error_message(response: requests.Response) -> str:
    try:
        error = str(response.json().get("error", ""))
    except ValueError:
        error = ""
    detail = f" ({error})" if error else ""
    if error == "invalid_grant":
        return (
            f"Greenhouse refused the token request{detail}: `user_id` is not a user "
            "of this Greenhouse account."
        )
    return (
        f"Greenhouse refused the client credentials with {response.status_code}{detail}: "
        "check `client_id` and `client_secret` (Dev Center > API Credentials > Harvest V3)."
    )
