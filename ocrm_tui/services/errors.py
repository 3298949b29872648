"""Expected failures a user can cause: each has its own type and a readable message."""

from __future__ import annotations


class OcrmError(Exception):
    """A refused or failed operation, shown to the user as one clear line."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(OcrmError):
    """Bad input: names the field and why."""


class NotFoundError(OcrmError):
    """The record does not exist, or is outside the user's scope (same message for both)."""


class PermissionDenied(OcrmError):
    """The acting user's role does not allow this."""


class AuthenticationError(OcrmError):
    """Wrong employee number or password (never says which)."""


class AccountLockedError(AuthenticationError):
    def __init__(self, message: str, *, locked_until=None):
        super().__init__(message)
        self.locked_until = locked_until


class AccountDisabledError(AuthenticationError):
    pass


class StaleRecordError(OcrmError):
    """Someone else saved the record since it was read."""

    def __init__(self, message: str, *, changed: dict | None = None):
        super().__init__(message)
        self.changed = changed or {}


class DatabaseUnavailable(OcrmError):
    """The database cannot be reached or opened."""


class SchemaOutdated(OcrmError):
    """The database schema is older (or newer) than this version of the product."""


class DuplicateCustomer(OcrmError):
    """A customer with the same ID number, mobile or name and birth date is already on file."""

    def __init__(self, message: str, *, duplicates: list | None = None, blocking: bool = False):
        super().__init__(message)
        self.duplicates = duplicates or []
        self.blocking = blocking
