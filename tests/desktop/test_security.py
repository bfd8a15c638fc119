"""Login, session cookies, CSRF and the login rate limit."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest

from agent_desktop.accounts import AccountConfigError, load_accounts
from agent_desktop.config import DesktopConfigError, desktop_config_from_raw
from agent_desktop.handling import ACCOUNTS, LOGIN_TRAFFIC, SESSIONS
from agent_desktop.security import LoginRateLimiter, RequestRateLimiter, SessionStore

if TYPE_CHECKING:
    from conftest import Desk, ManualClock


async def test_session_cookie_is_httponly_strict_and_renewed_at_login(desk: Desk) -> None:
    async with desk.session() as client:
        async with client.get(desk.url("/login")) as response:
            anonymous = response.cookies["cc_session"]
            assert anonymous["httponly"] and anonymous["samesite"] == "Strict"
            assert not anonymous["secure"]  # plain http in the test; https sets Secure
        await desk.login(client, "agent1")
        cookie = next(c for c in client.cookie_jar if c.key == "cc_session")
        assert cookie.value != anonymous.value  # no session fixation


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(desk: Desk) -> None:
    async with desk.session() as client:
        for user in ("agent1", "nobody"):
            token = await desk.anonymous_token(client)
            async with client.post(desk.url("/login"), allow_redirects=False,
                                   data={"username": user, "password": "guess", "csrf_token": token}) as r:
                assert r.status == 401
                assert "Wrong user name or password." in await r.text()


async def test_forms_and_api_need_the_csrf_token_of_their_own_session(desk: Desk) -> None:
    async with desk.session() as other:
        foreign_token = await desk.login(other, "agent2")
    async with desk.session() as client:
        token = await desk.anonymous_token(client)
        async with client.post(desk.url("/login"), allow_redirects=False,
                               data={"username": "agent1", "password": "pw-agent1"}) as r:
            assert r.status == 403  # login form without its token
        token = await desk.login(client, "agent1")
        for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": foreign_token}):
            async with client.post(desk.url("/api/agent/ready"), headers=headers) as r:
                assert r.status == 403, headers
        assert desk.control.calls == []
        async with client.post(desk.url("/api/agent/ready"), headers={"X-CSRF-Token": token}) as r:
            assert r.status == 202
        assert desk.control.calls == [("ready", "a1")]


async def test_login_rate_limit_per_user_then_recovers(desk: Desk, clock: ManualClock) -> None:
    async with desk.session() as client:
        token = await desk.anonymous_token(client)
        for _ in range(5):
            async with client.post(desk.url("/login"), allow_redirects=False,
                                   data={"username": "agent1", "password": "bad", "csrf_token": token}) as r:
                assert r.status == 401
        async with client.post(desk.url("/login"), allow_redirects=False,
                               data={"username": "agent1", "password": "pw-agent1", "csrf_token": token}) as r:
            assert r.status == 429  # even the right password waits
            assert 0 < int(r.headers["Retry-After"]) <= 901
    clock.advance(901)
    async with desk.session() as client:
        await desk.login(client, "agent1")


async def test_login_rate_limit_per_address_stops_spraying_user_names(desk: Desk) -> None:
    async with desk.session() as client:
        token = await desk.anonymous_token(client)
        for attempt in range(20):
            async with client.post(desk.url("/login"), allow_redirects=False,
                                   data={"username": f"u{attempt}", "password": "x", "csrf_token": token}) as r:
                assert r.status == 401
        async with client.post(desk.url("/login"), allow_redirects=False,
                               data={"username": "super", "password": "pw-super", "csrf_token": token}) as r:
            assert r.status == 429


async def test_one_address_loading_or_posting_the_login_form_too_often_is_told_to_wait(
    desk: Desk, clock: ManualClock
) -> None:
    desk.login_traffic.per_ip = 3
    async with desk.session() as client:
        token = await desk.anonymous_token(client)  # 1
        async with client.get(desk.url("/login")) as r:  # 2
            assert r.status == 200
        async with client.post(desk.url("/login"), allow_redirects=False,
                               data={"username": "agent1", "password": "bad", "csrf_token": token}) as r:  # 3
            assert r.status == 401
        sessions_before = len(desk.app[SESSIONS])
        async with desk.session() as fresh, fresh.get(desk.url("/login")) as r:
            assert r.status == 429 and 0 < int(r.headers["Retry-After"]) <= 60
            assert "Too many requests from your address" in await r.text()
        assert len(desk.app[SESSIONS]) == sessions_before  # a refused load costs no session
        async with client.post(desk.url("/login"), allow_redirects=False,
                               data={"username": "agent1", "password": "pw-agent1", "csrf_token": token}) as r:
            assert r.status == 429  # even the right password waits
    clock.advance(61)
    async with desk.session() as client:
        await desk.login(client, "agent1")


def test_the_login_form_limit_per_address_is_a_web_setting(app_for: Any, clock: ManualClock) -> None:
    limiter = app_for(desktop_config_from_raw({"web": {"login_requests_per_minute": 2}}), clock)[LOGIN_TRAFFIC]
    assert [limiter.admit("10.0.0.9") is None for _ in range(3)] == [True, True, False]
    for wrong in (0, -1, 2.5, True, "many"):
        with pytest.raises(DesktopConfigError, match=r"web\.login_requests_per_minute"):
            desktop_config_from_raw({"web": {"login_requests_per_minute": wrong}})


def test_request_limiter_counts_only_what_it_lets_through(clock: ManualClock) -> None:
    limiter = RequestRateLimiter(clock=clock, per_ip=2, window=10)
    assert limiter.admit("10.0.0.1") is None
    clock.advance(4)
    assert limiter.admit("10.0.0.1") is None
    assert limiter.admit("10.0.0.2") is None  # addresses are counted apart
    clock.advance(1)
    assert limiter.admit("10.0.0.1") == pytest.approx(5)
    clock.advance(5)  # refused requests did not push the first one's expiry back
    assert limiter.admit("10.0.0.1") is None


def test_rate_limiter_window_slides(clock: ManualClock) -> None:
    limiter = LoginRateLimiter(clock=clock, per_user=3, per_ip=100, window=60)
    for _ in range(3):
        limiter.record_failure("Ann", "10.0.0.1")
        clock.advance(10)
    assert limiter.retry_after("ann", "10.0.0.1") == pytest.approx(30)  # user names fold case
    clock.advance(30)
    assert limiter.retry_after("ann", "10.0.0.1") is None
    limiter.record_failure("ann", "10.0.0.1")
    assert limiter.retry_after("ann", "10.0.0.1") is not None
    limiter.record_success("ann", "10.0.0.1")
    assert limiter.retry_after("ann", "10.0.0.1") is None


def test_failures_from_other_addresses_never_lock_the_owner_out(clock: ManualClock) -> None:
    limiter = LoginRateLimiter(clock=clock, per_user=5, per_ip=20, per_user_overall=20, slow_interval=5, window=900)
    limiter.record_success("demo-campaign-manager", "192.0.2.7")  # the owner's usual address
    for attacker in range(5):  # five wrong passwords from five addresses: the case that used to lock 15 min
        limiter.record_failure("demo-campaign-manager", f"198.51.100.{attacker}")
    assert limiter.retry_after("demo-campaign-manager", "192.0.2.7") is None
    assert limiter.retry_after("demo-campaign-manager", "203.0.113.9") is None  # the owner on a new address
    for attacker in range(200):  # a botnet: far past the overall count
        limiter.record_failure("demo-campaign-manager", f"10.1.{attacker // 250}.{attacker % 250}")
    assert limiter.retry_after("demo-campaign-manager", "192.0.2.7") is None  # a known address is not slowed
    # Anywhere else, attempts for the name are slowed to one per interval, never locked.
    assert limiter.retry_after("demo-campaign-manager", "203.0.113.9") is None
    wait = limiter.retry_after("demo-campaign-manager", "10.9.9.9")
    assert wait is not None and 0 < wait <= 5
    clock.advance(5)
    assert limiter.retry_after("demo-campaign-manager", "203.0.113.9") is None


def test_one_address_is_still_stopped_after_a_few_guesses_for_one_name(clock: ManualClock) -> None:
    limiter = LoginRateLimiter(clock=clock, per_user=5, per_ip=20, window=900)
    for _ in range(5):
        limiter.record_failure("ann", "198.51.100.1")
    wait = limiter.retry_after("ann", "198.51.100.1")
    assert wait is not None and 890 < wait <= 900


def test_sessions_expire_when_idle_or_old(clock: ManualClock) -> None:
    store = SessionStore(clock=clock, idle_timeout=100, max_age=250)
    session = store.create("agent1")
    assert len(session.id) >= 40 and session.id != session.csrf_token
    clock.advance(90)
    assert store.get(session.id) is session
    clock.advance(90)
    assert store.get(session.id) is session
    clock.advance(101)
    assert store.get(session.id) is None
    old = store.create("x")
    for _ in range(3):
        clock.advance(90)
        store.get(old.id)
    assert store.get(old.id) is None  # touched often, but older than max_age


def test_accounts_from_config_hash_plain_passwords_and_keep_argon2_hashes() -> None:
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    raw = {
        "agents": [{"id": "1001", "name": "Bea", "password": "s3cret", "queues": ["support"]},
                   {"id": "1002", "name": "No web login"}],
        "users": [{"id": "boss", "role": "supervisor", "password_hash": hasher.hash("hunter2")}],
    }
    store, demo = load_accounts(raw, demo=True, hasher=hasher)
    assert {a.id for a in store} == {"1001", "boss", "demo-agent", "demo-supervisor", "demo-campaign-manager",
                                      "demo-admin"}
    bea = store.authenticate("1001", "s3cret")
    assert bea is not None and bea.role == "agent" and bea.agent_id == "1001"
    assert "s3cret" not in bea.password_hash
    assert store.authenticate("boss", "hunter2") is not None
    assert store.authenticate("boss", "s3cret") is None
    demo_agent = store.get("demo-agent")
    assert demo_agent is not None and demo_agent.agent_id == "1001"
    assert demo_agent.name == "Bea"  # the name the wall shows for agent 1001 too
    assert {(c.username, c.role) for c in demo} >= {("demo-admin", "admin")}
    assert all(store.authenticate(c.username, c.password) for c in demo)
    assert load_accounts(raw, demo=False, hasher=hasher)[1] == []


@pytest.mark.parametrize("raw", [
    {"users": [{"id": "x", "role": "root", "password": "p"}]},
    {"users": [{"id": "x", "role": "agent", "password": "p"}]},
    {"users": [{"id": "x", "role": "admin"}]},
    {"users": [{"id": "x", "role": "admin", "password": "p"}, {"id": "x", "role": "admin", "password": "q"}]},
])
def test_bad_account_config_is_refused_clearly(raw: dict[str, object]) -> None:
    from argon2 import PasswordHasher

    with pytest.raises(AccountConfigError):
        load_accounts(raw, demo=False, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_a_flood_of_anonymous_sessions_logs_nobody_out(clock: ManualClock) -> None:
    store = SessionStore(clock=clock, max_anonymous=50)
    agent = store.create("agent1")
    form = store.create()  # somebody half-way through the login form, still using it
    for _ in range(500):  # GET /login without a cookie, over and over
        store.create()
        store.get(form.id)
    assert store.get(agent.id) is agent
    assert store.get(form.id) is form  # recently used: the flood pushed out only its own
    assert len(store) == 51


def test_each_account_keeps_a_bounded_number_of_sessions_and_loses_only_its_own(clock: ManualClock) -> None:
    store = SessionStore(clock=clock, max_per_account=3)
    other = store.create("agent2")
    first, second = store.create("agent1"), store.create("agent1")
    store.create("agent1")
    store.get(first.id)  # in use: the least recently used gives way instead
    store.create("agent1")
    assert store.get(second.id) is None
    assert store.get(first.id) is first and store.get(other.id) is other
    assert len(store) == 4
    store.delete(first.id)
    assert store.get(first.id) is None and len(store) == 3


@pytest.mark.parametrize(("web", "headers", "secure"), [
    ({}, {}, False),
    ({}, {"X-Forwarded-Proto": "https"}, False),  # anyone can send the header: not from a trusted proxy
    ({"trusted_proxies": ["127.0.0.1"]}, {"X-Forwarded-Proto": "https"}, True),  # the TLS proxy says so
    ({"trusted_proxies": ["127.0.0.1"]}, {"X-Forwarded-Proto": "http"}, False),
    ({"secure_cookies": "always"}, {}, True),  # a TLS proxy that does not send the header
    ({"trusted_proxies": ["127.0.0.1"], "secure_cookies": "never"}, {"X-Forwarded-Proto": "https"}, False),
])
async def test_the_session_cookie_is_secure_behind_a_tls_proxy(
    app_for: Any, clock: ManualClock, web: dict[str, Any], headers: dict[str, str], secure: bool
) -> None:
    import aiohttp
    from aiohttp.test_utils import TestServer

    server = TestServer(app_for(desktop_config_from_raw({"web": web}), clock), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as client, client.get(server.make_url("/login"), headers=headers) as r:
            cookie = r.headers["Set-Cookie"]
        assert ("Secure" in cookie) is secure, cookie
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    finally:
        await server.close()


def test_secure_cookies_is_checked_at_start() -> None:
    with pytest.raises(DesktopConfigError, match=r"web\.secure_cookies"):
        desktop_config_from_raw({"web": {"secure_cookies": "sometimes"}})
    assert desktop_config_from_raw({"web": {"secure_cookies": True}}).secure_cookies == "always"


async def test_other_requests_are_served_while_a_login_checks_its_password(
    desk: Desk, monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts = desk.app[ACCOUNTS]
    check = accounts.authenticate

    def slow_check(username: str, password: str) -> Any:
        time.sleep(0.8)  # a password hash as costly as a strong one on a busy machine: it holds its thread
        return check(username, password)

    monkeypatch.setattr(accounts, "authenticate", slow_check)
    async with desk.session() as client, desk.session() as other:
        token = await desk.anonymous_token(client)
        login = asyncio.create_task(client.post(desk.url("/login"), allow_redirects=False, data={
            "username": "agent1", "password": "pw-agent1", "csrf_token": token}))
        await asyncio.sleep(0.2)  # the login is hashing now
        began = time.monotonic()
        async with other.get(desk.url("/login")) as page:
            assert page.status == 200
        served_in = time.monotonic() - began
        assert not login.done()
        response = await login
        assert response.status == 303
    assert served_in < 0.4
