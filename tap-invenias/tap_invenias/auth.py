"""Invenias OAuth 2.0 password grant: one token per run, fetched again when it dies.

`POST {base_url}/identity/connect/token`, form-encoded, with the application's
client id and secret, an Invenias user's username and password, the scope and the
subdomain. The password grant has no refresh token: a new token is simply requested.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

import requests
from singer_sdk.authenticators import OAuthAuthenticator

from tap_invenias.errors import InveniasAuthError

# Renew this long before the announced expiry so no request carries a dying token.
EXPIRY_MARGIN_SECONDS = 300
# Invenias documents 24-hour tokens; used when the answer names no lifetime.
DEFAULT_LIFETIME_SECONDS = 86400
TOKEN_ATTEMPTS = 3
DEFAULT_SCOPE = "openid profile api email"


class InveniasAuthenticator(OAuthAuthenticator):
    """Password-grant authenticator shared by every stream of a run; thread-safe.

    A token answered with 401 is dropped once and fetched again; a second 401 in a row
    with a new token becomes a fatal, explained error (licence or permission lost).
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        subdomain: str,
        scope: str = DEFAULT_SCOPE,
    ) -> None:
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
            oauth_scopes=scope,
            default_expiration=DEFAULT_LIFETIME_SECONDS,
        )
        self._username = username
        self._password = password
        self.subdomain = subdomain
        self.expires_at = 0.0
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self._rejections_since_success = 0

    @property
    def oauth_request_body(self) -> dict[str, Any]:
        """The documented form fields of the password grant."""
        return {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self._username,
            "password": self._password,
            "scope": self.oauth_scopes,
            "subdomain": self.subdomain,
        }

    def is_token_valid(self) -> bool:
        """Valid until `EXPIRY_MARGIN_SECONDS` before the announced expiry."""
        return bool(self.access_token) and time.time() < self.expires_at - EXPIRY_MARGIN_SECONDS

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach a valid bearer token, fetching one first when needed."""
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            token = self.access_token
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def bearer_header(self) -> dict[str, str]:
        """`Authorization` for requests made outside a stream (discovery)."""
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            return {"Authorization": f"Bearer {self.access_token}"}

    def update_access_token(self) -> None:
        """POST the password grant and keep the token it returns."""
        self.logger.info("Requesting an Invenias access token")
        response = self._post_token_request()
        if response.status_code in {400, 401, 403}:
            raise InveniasAuthError(_token_error_message(response))
        if response.status_code != 200:
            msg = (
                f"Invenias identity server answered {response.status_code} {response.reason}; "
                "try again later or check `base_url`."
            )
            raise InveniasAuthError(msg)
        try:
            payload = response.json()
            token = str(payload["access_token"])
            lifetime = float(payload.get("expires_in") or DEFAULT_LIFETIME_SECONDS)
        except (ValueError, KeyError, TypeError) as exc:
            msg = "Invenias identity server returned no access_token; check `base_url`."
            raise InveniasAuthError(msg) from exc
        self.access_token = token
        self.expires_at = time.time() + lifetime
        self.expires_in = int(lifetime)
        self.tokens_issued += 1
        self.last_refreshed = datetime.now(timezone.utc)

    def _post_token_request(self) -> requests.Response:
        failure = "no answer"
        for attempt in range(TOKEN_ATTEMPTS):
            try:
                # `data=` sends application/x-www-form-urlencoded; any other Content-Type
                # is refused by Invenias with a misleading `invalid_client`.
                response = self._session.post(
                    self.auth_endpoint, data=self.oauth_request_payload, timeout=60
                )
            except requests.RequestException as exc:
                failure = type(exc).__name__
            else:
                retriable = response.status_code >= 500 or response.status_code == 429
                if not retriable or attempt == TOKEN_ATTEMPTS - 1:
                    return response
            time.sleep(2**attempt)
        msg = (
            f"Cannot reach the Invenias identity server at {self.auth_endpoint}: {failure}; "
            "check `base_url` / `subdomain`."
        )
        raise InveniasAuthError(msg)

    def note_success(self) -> None:
        """An API call succeeded: the current token is known to work."""
        self._rejections_since_success = 0

    def reject(self, sent_authorization: str | None) -> None:
        """Handle a 401: drop the token once, fail clearly the second time in a row.

        Only a 401 for the token in force counts: calls in flight when it was replaced
        still carry the old one, and their retries simply use the new token.
        """
        with self._lock:
            if self.access_token is None or sent_authorization != f"Bearer {self.access_token}":
                return
            self._rejections_since_success += 1
            if self._rejections_since_success > 1:
                msg = (
                    "Invenias answered 401 Unauthorized again with a newly issued token: the "
                    "user has lost its licence or permission group, or the account is disabled."
                )
                raise InveniasAuthError(msg)
            self.access_token = None
            self.expires_at = 0.0


def _token_error_message(response: requests.Response) -> str:
    try:
        body = response.json()
        error = str(body.get("error", ""))
        description = str(body.get("error_description", ""))
    except (ValueError, AttributeError):
        error = description = ""
    detail = f" ({error}{': ' + description if description else ''})" if error else ""
    if error == "invalid_grant":
        if "disabled" in description:
            return (
                f"Invenias refused the login{detail}: the user account is disabled. Ask "
                "Invenias support to re-enable it."
            )
        return (
            f"Invenias refused the login{detail}: check `username` and `password` (the user "
            "must sign in with the Invenias identity provider, not single sign-on)."
        )
    if error == "invalid_scope":
        return f"Invenias refused the token scope{detail}: check `scope`."
    return (
        f"Invenias refused the application credentials with {response.status_code}{detail}: "
        "check `client_id` and `client_secret`, and that the third-party application has not "
        "expired (renew it with POST /api/v1/thirdpartyapplications/{id}/renew)."
    )
