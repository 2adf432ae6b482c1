"""Server-side storage of a browser session's tokens.

The browser's cookie holds only a random session id (signed by the framework's session
middleware); the tokens stay on the server, because an access token with its org claims plus an
ID token do not fit in a 4 KB cookie. The default store lives in memory (one process; a restart
signs everyone out); pass any object with the same three methods to share sessions between
workers (e.g. backed by Redis).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Protocol


@dataclass
class SessionTokens:
    access_token: str
    expires_at: float
    refresh_token: str | None = None
    id_token: str | None = None
    picture_url: str | None = None


class SessionStore(Protocol):
    def get(self, sid: str) -> SessionTokens | None: ...

    def put(self, sid: str, tokens: SessionTokens) -> None: ...

    def delete(self, sid: str) -> None: ...


class MemorySessionStore:
    """A dict guarded by a lock, bounded to `max_sessions` (the oldest are dropped first)."""

    def __init__(self, max_sessions: int = 100_000) -> None:
        self._data: dict[str, SessionTokens] = {}
        self._lock = threading.Lock()
        self.max_sessions = max_sessions

    def get(self, sid: str) -> SessionTokens | None:
        with self._lock:
            return self._data.get(sid)

    def put(self, sid: str, tokens: SessionTokens) -> None:
        with self._lock:
            self._data.pop(sid, None)
            self._data[sid] = tokens
            while len(self._data) > self.max_sessions:
                self._data.pop(next(iter(self._data)))

    def delete(self, sid: str) -> None:
        with self._lock:
            self._data.pop(sid, None)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
