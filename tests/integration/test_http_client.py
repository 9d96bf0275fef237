"""The connector's outside-call rules, against a real local HTTP server (no mocks)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.server import RunningServer, bind_socket, serve_in_thread
from shared.http import ApiClient, PermanentHttpError, RetryPolicy, TransientHttpError, retry_after_seconds

pytestmark = pytest.mark.integration


class Script:
    """Answers requests from a queue of (status, headers) and records what arrived."""

    def __init__(self) -> None:
        self.answers: deque[tuple[int, dict[str, str]]] = deque()
        self.seen: list[tuple[str, str | None]] = []

    async def endpoint(self, request: Request) -> Response:
        self.seen.append((request.method, request.headers.get("authorization")))
        status, headers = self.answers.popleft() if self.answers else (200, {})
        if status == 200:
            return JSONResponse({"ok": True}, headers=headers)
        return JSONResponse({"error": {"code": "X", "message": "scripted"}}, status_code=status, headers=headers)


@pytest.fixture
def script() -> Iterator[tuple[Script, RunningServer]]:
    s = Script()
    app = Starlette(routes=[Route("/thing", s.endpoint, methods=["GET", "POST", "PATCH"])])
    with serve_in_thread(app, name="scripted") as server:
        yield s, server


class FakeTokens:
    def __init__(self) -> None:
        self.issued = 0

    def token(self, *, refresh: bool = False) -> str:
        if refresh or self.issued == 0:
            self.issued += 1
        return f"token-{self.issued}"


def client(url: str, **kwargs) -> tuple[ApiClient, list[float]]:
    slept: list[float] = []
    api = ApiClient("test", url, timeout=2, policy=RetryPolicy(max_attempts=3), sleep=slept.append, **kwargs)
    return api, slept


def test_503_with_retry_after_is_retried_after_that_delay(script) -> None:
    s, server = script
    s.answers.extend([(503, {"Retry-After": "2"}), (200, {})])
    api, slept = client(server.url)
    assert api.request("GET", "thing").json() == {"ok": True}
    assert slept == [2.0]
    assert len(s.seen) == 2


def test_429_on_post_is_safe_to_resend(script) -> None:
    s, server = script
    s.answers.extend([(429, {}), (200, {})])
    api, _slept = client(server.url)
    assert api.request("POST", "thing", json={}).status_code == 200
    assert [m for m, _ in s.seen] == ["POST", "POST"]


def test_500_on_post_is_ambiguous_and_not_resent(script) -> None:
    s, server = script
    s.answers.append((500, {}))
    api, _ = client(server.url)
    with pytest.raises(TransientHttpError) as error:
        api.request("POST", "thing", json={})
    assert error.value.ambiguous and error.value.status == 500
    assert len(s.seen) == 1


def test_a_post_declared_idempotent_is_resent_like_a_get(script) -> None:
    s, server = script
    s.answers.extend([(500, {}), (200, {})])
    api, slept = client(server.url)
    assert api.request("POST", "thing", json={}, idempotent=True).status_code == 200
    assert [m for m, _ in s.seen] == ["POST", "POST"] and len(slept) == 1


def test_retries_give_up_after_max_attempts(script) -> None:
    s, server = script
    s.answers.extend([(502, {})] * 5)
    api, slept = client(server.url)
    with pytest.raises(TransientHttpError) as error:
        api.request("GET", "thing")
    assert not error.value.ambiguous
    assert len(s.seen) == 3 and len(slept) == 2


def test_long_retry_after_goes_back_to_the_caller(script) -> None:
    s, server = script
    s.answers.append((503, {"Retry-After": "120"}))
    api, slept = client(server.url)
    with pytest.raises(TransientHttpError) as error:
        api.request("GET", "thing")
    assert error.value.retry_after == 120 and slept == []


def test_401_reacquires_the_token_once(script) -> None:
    s, server = script
    s.answers.extend([(401, {}), (200, {})])
    tokens = FakeTokens()
    api, _ = client(server.url, tokens=tokens)
    assert api.request("GET", "thing").status_code == 200
    assert [auth for _, auth in s.seen] == ["Bearer token-1", "Bearer token-2"]
    s.answers.extend([(401, {}), (401, {})])
    with pytest.raises(PermanentHttpError):
        api.request("GET", "thing")


def test_400_is_permanent_with_the_error_body(script) -> None:
    s, server = script
    s.answers.append((400, {}))
    api, _ = client(server.url)
    with pytest.raises(PermanentHttpError) as error:
        api.request("PATCH", "thing", json={})
    assert error.value.status == 400 and error.value.body["error"]["code"] == "X"


def test_connection_refused_is_retried_then_transient() -> None:
    sock = bind_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    api, slept = client(f"http://127.0.0.1:{port}")
    with pytest.raises(TransientHttpError) as error:
        api.request("POST", "thing", json={})
    assert not error.value.ambiguous  # nothing reached a server
    assert len(slept) == 2


def test_timeout_on_get_is_retried_and_on_post_is_ambiguous() -> None:
    import asyncio

    async def slow(request: Request) -> Response:
        await asyncio.sleep(3)
        return Response("late")

    app = Starlette(routes=[Route("/slow", slow, methods=["GET", "POST"])])
    with serve_in_thread(app, name="slow") as server:
        api = ApiClient("test", server.url, timeout=0.3, policy=RetryPolicy(max_attempts=2), sleep=lambda s: None)
        with pytest.raises(TransientHttpError) as error:
            api.request("GET", "slow")
        assert not error.value.ambiguous
        with pytest.raises(TransientHttpError) as error:
            api.request("POST", "slow")
        assert error.value.ambiguous


def test_retry_after_parses_seconds_and_dates() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"})) == 7
    assert retry_after_seconds(httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0
    assert retry_after_seconds(httpx.Headers({})) is None
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
