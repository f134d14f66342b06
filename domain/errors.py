"""The only errors the domain raises; each adapter translates them in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or belongs to another tenant: the two look the same."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """A uniqueness rule or the current state forbids the change."""

    code = "CONFLICT"


class Invalid(DomainError):
    """The input is malformed or breaks a rule about its own shape."""

    code = "VALIDATION"


class Forbidden(DomainError):
    """The caller is known but its role does not allow the operation."""

    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    """No credential, or one that matches nothing."""

    code = "UNAUTHENTICATED"


class Unavailable(DomainError):
    """Something the operation needs (a charger, the database) cannot be reached now."""

    code = "UNAVAILABLE"


class RateLimited(DomainError):
    """Too many failed attempts (or requests) from this caller: refused before anything is checked."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the caller may try again, when known
