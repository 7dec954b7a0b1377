"""Errors raised by services; the API and the views turn them into responses.

Each carries an HTTP status, a machine-readable code, a message for a person
and, for validation, one message per offending field.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.errors = {key: str(value) for key, value in (errors or {}).items()}


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_error"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "too_large"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class StaleVersion(Conflict):
    code = "stale_version"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
