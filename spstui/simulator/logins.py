"""REST login sessions: HTTP Basic at /api/authentication, then a session_id cookie."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from spstui.simulator.errors import ApiError


@dataclass
class Login:
    id: str
    user: str
    last_seen: float


class Logins:
    def __init__(self, user: str, password: str, ttl: float, now: Callable[[], float],
                 on_end: Callable[[str], None]) -> None:
        self.user = user
        self.password = password
        self.ttl = ttl
        self.now = now
        self.on_end = on_end  # told when a login ends, so its transaction is rolled back
        self.by_id: dict[str, Login] = {}

    def _basic(self, header: str | None) -> str | None:
        """The user name if the Authorization header holds the right credentials."""
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        ok = secrets.compare_digest(user, self.user) & secrets.compare_digest(
            password, self.password)
        return user if ok else None

    def login(self, authorization: str | None) -> Login:
        user = self._basic(authorization)
        if user is None:
            raise ApiError(401, "AuthenticationFailure",
                           "Authenticating the user with the given credentials has failed.")
        login = Login(secrets.token_hex(20), user, self.now())
        self.by_id[login.id] = login
        return login

    def login_certificate(self, user: str) -> Login:
        """A login vouched for by the TLS layer's verified client certificate."""
        login = Login(secrets.token_hex(20), user, self.now())
        self.by_id[login.id] = login
        return login

    def expire(self) -> None:
        now = self.now()
        for lid in [lid for lid, lg in self.by_id.items() if now - lg.last_seen >= self.ttl]:
            del self.by_id[lid]
            self.on_end(lid)

    def check(self, cookie: str | None, authorization: str | None, path: str) -> Login:
        """The login a request belongs to; every request keeps its login alive."""
        self.expire()
        login = self.by_id.get(cookie or "")
        if login is None:
            user = self._basic(authorization)
            if user is None:
                raise ApiError(
                    401, "Unauthenticated",
                    "The requested resource cannot be retrieved because the client is not "
                    "authenticated and the resource requires authorization to access it.",
                    {"path": path},
                )
            # Basic credentials on the request itself act as a login of their own.
            login = self.by_id.setdefault(f"basic:{user}", Login(f"basic:{user}", user, 0))
        login.last_seen = self.now()
        return login

    def remaining(self, login: Login) -> int:
        return max(0, int(self.ttl - (self.now() - login.last_seen)))
