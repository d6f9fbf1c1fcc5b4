"""What notifications needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from .domain.messages import Email


class Mailer(Protocol):
    async def send(self, email: Email) -> None:
        """Deliver or raise TemporaryFailure / PermanentFailure (see adapters.smtp)."""
