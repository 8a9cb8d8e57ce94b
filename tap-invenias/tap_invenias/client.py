"""Base streams for the Invenias API: auth, the quota gate, errors and backoff."""

from __future__ import annotations

import email.utils
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.streams.rest import PageContext

from tap_invenias.errors import InveniasError, StreamForbiddenError

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    import requests
    from backoff.types import Details
    from singer_sdk.helpers.types import Context

    from tap_invenias.auth import InveniasAuthenticator
    from tap_invenias.tap import TapInvenias

MAX_BACKOFF_SECONDS = 60.0


class InveniasStream(RESTStream[Any]):
    """Any Invenias endpoint under `{base_url}/api/v1`."""

    _LOG_REQUEST_METRIC_URLS = False
    # Endpoints a tenant may not have (an unknown settings key): skip on 404.
    skip_not_found: ClassVar[bool] = False

    @property
    def invenias_tap(self) -> TapInvenias:
        """The tap that owns the shared authenticator and session."""
        return self._tap  # type: ignore[return-value]

    @property
    def url_base(self) -> str:
        """`{base_url}/api/v1`."""
        return f"{self.invenias_tap.base_url}/api/v1"

    @property
    def authenticator(self) -> InveniasAuthenticator:
        """The tap-wide authenticator (one token for every stream)."""
        return self.invenias_tap.invenias_authenticator

    @property
    def requests_session(self) -> requests.Session:
        """The tap-wide session: shared connections and one quota gate."""
        return self.invenias_tap.throttled_session

    @property
    def http_headers(self) -> dict[str, str]:
        """JSON both ways."""
        return {"Accept": "application/json", "User-Agent": self.user_agent}

    def list_request(self, context: Context | None, token: Any) -> requests.PreparedRequest:
        """The prepared request for one page, built by `get_http_request` as the SDK would.

        Used where pages are sent ahead through the tap's pool rather than one by one.
        """
        http_request = self.get_http_request(
            page=PageContext(stream_context=context, next_page_token=token)
        )
        return self.build_prepared_request(
            method=http_request.method,
            url=http_request.url,
            params=http_request.encode_params(),
            headers=http_request.headers,
            json=http_request.data,
        )

    # -- responses and errors ------------------------------------------------------------
    def validate_response(self, response: requests.Response) -> None:
        """Retry 429, 5xx and expired tokens; explain everything else."""
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST:
            self.authenticator.note_success()
            return
        if status == HTTPStatus.UNAUTHORIZED:
            self.authenticator.reject(response.request.headers.get("Authorization"))
            msg = "401 Unauthorized: access token expired or revoked; fetching a new one"
            raise RetriableAPIError(msg, response)
        if status == HTTPStatus.FORBIDDEN:
            msg = (
                f"Invenias answered 403 Forbidden for `{self.name}`: the user's permission "
                "group cannot read it, or the third-party application has expired."
            )
            raise StreamForbiddenError(msg)
        if status == HTTPStatus.NOT_FOUND and self.skip_not_found:
            raise StreamForbiddenError(self.response_error_message(response))
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        raise InveniasError(self.response_error_message(response))

    def response_error_message(self, response: requests.Response) -> str:
        """Status, stream and Invenias's own message; never headers, tokens or bodies sent."""
        detail = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = body.get("Message") or body.get("message") or body.get("error")
            if message:
                detail = f": {message}"
        hint = ""
        if response.status_code == HTTPStatus.NOT_FOUND:
            hint = " (check `base_url` / `subdomain`, and that the application has not expired)"
        return f"{response.status_code} {response.reason} from Invenias `{self.name}`{detail}{hint}"

    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Retry-After for 429; at once after a 401; otherwise exponential."""
        attempt = 0
        exception = yield 0.0
        while True:
            attempt += 1
            exception = yield _wait_for(exception, attempt)

    def backoff_handler(self, details: Details) -> None:
        """A retry is expected behaviour, not an error: log it as a warning."""
        exception = details.get("exception")
        response = getattr(exception, "response", None)
        reason = (
            f"HTTP {response.status_code}" if response is not None else type(exception).__name__
        )
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d) after %s",
            self.name,
            details.get("wait", 0.0),
            details.get("tries", 0),
            reason,
        )

    def backoff_max_tries(self) -> int:
        """Enough tries to outlast a throttling burst or a short outage."""
        return int(self.config.get("max_retries") or 8)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Read every page; a 403 before any row skips the stream with a warning."""
        emitted = 0
        try:
            for record in super().get_records(context):
                emitted += 1
                yield record
        except StreamForbiddenError as exc:
            if emitted:
                raise
            self.logger.warning("Skipping %s. %s", self.name, exc)


def _wait_for(exception: Any, attempt: int) -> float:
    response = getattr(exception, "response", None)
    if response is not None and response.status_code == HTTPStatus.UNAUTHORIZED:
        return 0.0
    if response is not None and response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
        header = response.headers.get("Retry-After")
        if header:
            try:
                return max(0.0, float(header))
            except ValueError:
                return max(0.0, email.utils.parsedate_to_datetime(header).timestamp() - time.time())
        # No Retry-After: the quota gate holds the next call until the window resets.
        return 0.0
    return min(MAX_BACKOFF_SECONDS, float(2 ** (attempt - 1)))
