"""Web sessions kept server-side, CSRF tokens, and the login rate limit; pure, with an injected clock."""

from __future__ import annotations

import dataclasses
import hmac
import secrets
from collections import OrderedDict, deque

from bus.clock import Clock

SESSION_COOKIE = "cc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclasses.dataclass(slots=True)
class Session:
    """A browser session; ``account_id`` None is the anonymous session the login form lives in."""

    id: str
    csrf_token: str
    account_id: str | None
    created: float
    last_seen: float

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token.encode(), (token or "").encode())


class SessionStore:
    """Sessions by random 256-bit id, expiring after ``idle_timeout`` without use or ``max_age`` in all.

    Anonymous sessions (the login form's) live apart from logged-in ones and are capped at
    ``max_anonymous``, the least recently used giving way, so a flood of ``GET /login`` can never
    log anybody out. Each account keeps at most ``max_per_account`` sessions, its own least recently
    used giving way, so logged-in sessions are bounded by accounts that passed a password check.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        idle_timeout: float = 3600.0,
        max_age: float = 12 * 3600.0,
        max_anonymous: int = 10_000,
        max_per_account: int = 20,
    ) -> None:
        self._clock = clock
        self.idle_timeout = idle_timeout
        self.max_age = max_age
        self.max_anonymous = max_anonymous
        self.max_per_account = max_per_account
        # Both kept in least-recently-used order, so eviction is popitem(last=False), O(1).
        self._anonymous: OrderedDict[str, Session] = OrderedDict()
        self._by_account: dict[str, OrderedDict[str, Session]] = {}
        self._logged_in: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._anonymous) + len(self._logged_in)

    def create(self, account_id: str | None = None) -> Session:
        """A new session with fresh id and CSRF token (call again after login: no session fixation)."""
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), account_id, now, now)
        if account_id is None:
            if len(self._anonymous) >= self.max_anonymous:
                self._anonymous.popitem(last=False)
            self._anonymous[session.id] = session
        else:
            mine = self._by_account.setdefault(account_id, OrderedDict())
            if len(mine) >= self.max_per_account:
                evicted, _ = mine.popitem(last=False)
                del self._logged_in[evicted]
            mine[session.id] = session
            self._logged_in[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (touching it), or None if unknown or expired."""
        if not session_id:
            return None
        session = self._anonymous.get(session_id) or self._logged_in.get(session_id)
        if session is None:
            return None
        now = self._clock()
        if self._expired(session, now):
            self.delete(session_id)
            return None
        session.last_seen = now
        if session.account_id is None:
            self._anonymous.move_to_end(session_id)
        else:
            self._by_account[session.account_id].move_to_end(session_id)
        return session

    def has_live(self, account_id: str) -> bool:
        """Whether the account still has a session that has not expired (without touching any)."""
        now = self._clock()
        return any(not self._expired(s, now) for s in self._by_account.get(account_id, {}).values())

    def delete(self, session_id: str) -> None:
        if self._anonymous.pop(session_id, None) is not None:
            return
        session = self._logged_in.pop(session_id, None)
        if session is None or session.account_id is None:
            return
        mine = self._by_account[session.account_id]
        del mine[session_id]
        if not mine:
            del self._by_account[session.account_id]

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.last_seen > self.idle_timeout or now - session.created > self.max_age


class _SlidingCounts:
    """When things happened, per key, within a sliding window; at most ``max_keys`` keys are kept, keys
    whose window has passed giving way first."""

    def __init__(self, *, window: float, max_keys: int) -> None:
        self.window = window
        self.max_keys = max_keys
        self._times: dict[str, deque[float]] = {}

    def wait(self, key: str, limit: int, now: float) -> float | None:
        """Seconds until ``key`` is under ``limit`` again, or None if it is now."""
        times = self._times.get(key)
        if not times:
            return None
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._times[key]
            return None
        if len(times) < limit:
            return None
        return times[-limit] + self.window - now

    def add(self, key: str, now: float) -> None:
        if key not in self._times and len(self._times) >= self.max_keys:
            for stale in [k for k, t in self._times.items() if not t or now - t[-1] >= self.window]:
                del self._times[stale]
        self._times.setdefault(key, deque()).append(now)

    def forget(self, key: str) -> None:
        self._times.pop(key, None)


class LoginRateLimiter:
    """Failed logins allowed per user name *at one address*, per address, and per user name overall.

    An address that fails ``per_user`` times for a user name waits out the window for that name, and one
    that fails ``per_ip`` times waits for every name, so one address can neither guess nor spray. Failures
    spread over many addresses cannot lock the owner out: past ``per_user_overall`` failures for a name,
    attempts for it are only slowed, one every ``slow_interval`` seconds from any address but those the
    user has logged in from before, which are never slowed. A success clears that address's count for the
    name, not the address's own count, so an address cannot mix in a login it knows to keep spraying.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        per_user: int = 5,
        per_ip: int = 20,
        per_user_overall: int = 20,
        slow_interval: float = 5.0,
        window: float = 900.0,
        max_keys: int = 100_000,
        known_addresses_per_user: int = 20,
    ) -> None:
        self._clock = clock
        self.per_user = per_user
        self.per_ip = per_ip
        self.per_user_overall = per_user_overall
        self.slow_interval = slow_interval
        self._pairs = _SlidingCounts(window=window, max_keys=max_keys)
        self._ips = _SlidingCounts(window=window, max_keys=max_keys)
        self._users = _SlidingCounts(window=window, max_keys=max_keys)
        self._last_attempt: OrderedDict[str, float] = OrderedDict()
        self._known: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()
        self._max_keys = max_keys
        self._known_per_user = known_addresses_per_user

    def retry_after(self, username: str, ip: str) -> float | None:
        """Seconds until a login may be tried again, or None if it may be tried now."""
        now = self._clock()
        user = username.casefold()
        waits = [self._pairs.wait(f"{user}\0{ip}", self.per_user, now), self._ips.wait(ip, self.per_ip, now)]
        if ip not in self._known.get(user, ()) and self._users.wait(user, self.per_user_overall, now) is not None:
            last = self._last_attempt.get(user)
            if last is not None and now - last < self.slow_interval:
                waits.append(last + self.slow_interval - now)
            else:
                self._note_attempt(user, now)
        blocked = [w for w in waits if w is not None]
        return max(blocked) if blocked else None

    def _note_attempt(self, user: str, now: float) -> None:
        self._last_attempt[user] = now
        self._last_attempt.move_to_end(user)
        if len(self._last_attempt) > self._max_keys:
            self._last_attempt.popitem(last=False)

    def record_failure(self, username: str, ip: str) -> None:
        now = self._clock()
        user = username.casefold()
        self._pairs.add(f"{user}\0{ip}", now)
        self._ips.add(ip, now)
        self._users.add(user, now)

    def record_success(self, username: str, ip: str) -> None:
        user = username.casefold()
        self._pairs.forget(f"{user}\0{ip}")
        known = self._known.setdefault(user, OrderedDict())
        known[ip] = None
        known.move_to_end(ip)
        if len(known) > self._known_per_user:
            known.popitem(last=False)
        self._known.move_to_end(user)
        if len(self._known) > self._max_keys:
            self._known.popitem(last=False)


class RequestRateLimiter:
    """Requests allowed per client address within a sliding window, whatever their outcome: bounds how
    fast one address may load the login form (each load costs an anonymous session) and post it."""

    def __init__(self, *, clock: Clock, per_ip: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self._clock = clock
        self.per_ip = per_ip
        self._ips = _SlidingCounts(window=window, max_keys=max_keys)

    def admit(self, ip: str) -> float | None:
        """Count a request from ``ip`` and return None, or, over the limit, the seconds to wait (a refused
        request is not counted, so a client that keeps trying is let in as soon as the window allows)."""
        now = self._clock()
        wait = self._ips.wait(ip, self.per_ip, now)
        if wait is None:
            self._ips.add(ip, now)
        return wait
