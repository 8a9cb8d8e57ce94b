"""Fault injection: server errors, connection resets, slow answers, token revocation."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class FaultConfig:
    """What share of vendor requests go wrong, and how.

    Shares are probabilities in [0, 1] drawn from a seeded generator, so a given
    seed and request sequence always fails the same way.
    """

    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    reset_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: int = 0
    # Answer this many consecutive requests with 429 (each with Retry-After).
    burst_429: int = 0
    burst_429_retry_after: int = 1
    # Revoke every token/session once, after this many vendor requests.
    revoke_after_requests: int = 0
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        """Build from a JSON body, rejecting unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            msg = f"unknown fault settings: {sorted(unknown)}"
            raise ValueError(msg)
        return cls(**data)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    reset: bool = False
    error_status: int | None = None
    extra_delay_ms: int = 0
    force_429: bool = False
    retry_after: int = 1
    revoke_tokens: bool = False


class FaultInjector:
    """Draws one decision per vendor request from the active `FaultConfig`."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the active faults and restart the seeded sequence."""
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)
            self._burst_left = config.burst_429
            self._requests_seen = 0
            self._revoked = False

    def _count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    def decide(self, *, metered: bool = True) -> FaultDecision:
        """The fault (if any) for the next vendor request.

        `metered` says whether the request counts against the rate limit; 429 bursts
        only hit such requests (a token endpoint has its own window).
        """
        with self._lock:
            config = self.config
            self._requests_seen += 1
            revoke = False
            if (
                config.revoke_after_requests
                and not self._revoked
                and self._requests_seen > config.revoke_after_requests
            ):
                self._revoked = True
                revoke = True
                self._count("token_revocation")
            if metered and self._burst_left > 0:
                self._burst_left -= 1
                self._count("burst_429")
                return FaultDecision(
                    force_429=True, retry_after=config.burst_429_retry_after, revoke_tokens=revoke
                )
            draw = self._random.random()
            if draw < config.reset_rate:
                self._count("connection_reset")
                return FaultDecision(reset=True, revoke_tokens=revoke)
            draw -= config.reset_rate
            if draw < config.error_rate:
                status = self._random.choice(config.error_statuses)
                self._count(f"http_{status}")
                return FaultDecision(error_status=status, revoke_tokens=revoke)
            delay = 0
            if config.slow_rate and self._random.random() < config.slow_rate:
                delay = config.slow_ms
                self._count("slow")
            return FaultDecision(extra_delay_ms=delay, revoke_tokens=revoke)
