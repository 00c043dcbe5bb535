"""Server-side sessions: the API key stays here; the browser holds only a signed random session id.

Every visitor gets a session (anonymous until sign-in) so that even the sign-in form carries a CSRF
token. Signing in replaces the session id (no fixation); signing out forgets it. Sessions live in this
process's memory: a restart signs everyone out (run one console replica, or sticky sessions).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

COOKIE = "waspada_sesi"


@dataclass
class Session:
    sid: str
    csrf: str
    seen: float
    key: str | None = None
    name: str = ""
    scope: str = ""
    flash: list[str] = field(default_factory=list)
    new: bool = False  # the cookie must be (re)set on this response

    @property
    def signed_in(self) -> bool:
        return self.key is not None

    @property
    def is_national(self) -> bool:
        return self.scope in ("national", "admin")

    @property
    def province(self) -> str | None:
        """The key's province, or None for national and admin keys."""
        return None if self.is_national else self.scope

    def pop_flash(self) -> list[str]:
        out, self.flash = self.flash, []
        return out


class SessionStore:
    def __init__(self, secret: bytes, idle_seconds: float, max_sessions: int) -> None:
        self.secret = secret
        self.idle = idle_seconds
        self.max = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def _sign(self, sid: str) -> str:
        return hmac.new(self.secret, sid.encode(), hashlib.sha256).hexdigest()[:32]

    def cookie_value(self, session: Session) -> str:
        return f"{session.sid}.{self._sign(session.sid)}"

    def _create(self) -> Session:
        now = time.monotonic()
        while self._sessions:  # oldest first: drop the idle ones, and beyond the cap
            oldest = next(iter(self._sessions.values()))
            if now - oldest.seen <= self.idle and len(self._sessions) < self.max:
                break
            self._sessions.popitem(last=False)
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, new=True)
        self._sessions[s.sid] = s
        return s

    def load(self, cookie: str | None) -> Session:
        """The session a cookie names, or a new anonymous one."""
        if cookie and "." in cookie:
            sid, sig = cookie.rsplit(".", 1)
            s = self._sessions.get(sid)
            now = time.monotonic()
            if s is not None and hmac.compare_digest(sig, self._sign(sid)):
                if now - s.seen <= self.idle:
                    s.seen = now
                    self._sessions.move_to_end(sid)
                    return s
                del self._sessions[sid]
        return self._create()

    def sign_in(self, old: Session, key: str, name: str, scope: str) -> Session:
        self._sessions.pop(old.sid, None)
        s = self._create()
        s.key, s.name, s.scope = key, name, scope
        return s

    def sign_out(self, old: Session) -> Session:
        self._sessions.pop(old.sid, None)
        return self._create()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), session.csrf)
