"""Errors that services raise and views/API turn into 4xx answers for people.

Messages are translatable strings in the user's language; ``field`` names the input
(or the record) the problem is about, so forms can show it next to the field.
"""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A request that the platform refuses for a reason a person can act on."""

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str | Promise,
        *,
        field: str | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.details = details or []

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.details:
            data["details"] = self.details
        return data


class ValidationFailed(DomainError):
    status_code = 400
    code = "invalid"


class NotFound(DomainError):
    """Unknown or out of scope: the two are never told apart."""

    status_code = 404
    code = "not_found"


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    """The record's state does not allow this (e.g. an illegal transition)."""

    status_code = 409
    code = "conflict"


class OutsideJurisdiction(DomainError):
    status_code = 422
    code = "outside_jurisdiction"
