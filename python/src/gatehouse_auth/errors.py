"""The package's exceptions."""

from __future__ import annotations


class GatehouseAuthError(Exception):
    """Base class of every error this package raises."""


class ConfigError(GatehouseAuthError):
    """A setting is missing or malformed."""


class UnauthorizedError(GatehouseAuthError):
    """The credentials (token, API key, session) are missing, invalid or expired."""


class ForbiddenError(GatehouseAuthError):
    """The user is authenticated but not allowed (not a member, role too low, missing permission)."""


class GatehouseUnavailableError(GatehouseAuthError):
    """Gatehouse could not be reached or answered with an unexpected error."""
