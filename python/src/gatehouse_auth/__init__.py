"""Protect Gradio, Streamlit, FastAPI and Flask apps with Gatehouse.

Importing the package imports no web framework; each integration is loaded when first used:
`GatehouseAuth.protect_app` (Starlette/FastAPI/Gradio), `gatehouse_auth.streamlit`,
`gatehouse_auth.flask`.
"""

from .core import GatehouseAuth
from .errors import (
    ConfigError,
    ForbiddenError,
    GatehouseAuthError,
    GatehouseUnavailableError,
    UnauthorizedError,
)
from .sessions import MemorySessionStore, SessionStore, SessionTokens
from .user import OrgMemberInfo, User

__all__ = [
    "ConfigError",
    "ForbiddenError",
    "GatehouseAuth",
    "GatehouseAuthError",
    "GatehouseUnavailableError",
    "MemorySessionStore",
    "OrgMemberInfo",
    "SessionStore",
    "SessionTokens",
    "UnauthorizedError",
    "User",
]
__version__ = "0.1.0"
