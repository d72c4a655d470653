"""Record a real run's HTTP exchanges to a cassette and replay them later without a server.

Recording wraps the httpx transport under the openai SDK, so the cassette holds
exactly what crossed the wire (streams included), minus secrets: request headers
are not stored at all and anything key-like in a body is replaced by ``<redacted>``.
Replay serves the exchanges in order and fails with :class:`ReplayMismatchError`
on a request whose method, path or JSON body differs from the recording.

Use it with model specs: ``record:run.json@openai:gpt-4.1-mini`` records,
``replay:run.json`` replays.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from agent.errors import ConfigError, ModelError

CASSETTE_VERSION = 1
_KEY_LIKE = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,})")
_KEPT_HEADERS = ("content-type", "retry-after", "x-request-id")


class ReplayMismatchError(ModelError):
    """The run asked something the cassette did not record: the code or prompts drifted."""


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove known secrets and anything shaped like an API key or bearer token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return _KEY_LIKE.sub("<redacted>", text)


def _body_json(raw: bytes, secrets: tuple[str, ...] = ()) -> Any:
    text = scrub(raw.decode("utf-8", errors="replace"), secrets)
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return text


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests through to ``inner`` and appends each exchange to a cassette file."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        path: str | Path,
        *,
        meta: dict[str, str],
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._inner = inner
        self._path = Path(path)
        self._secrets = secrets
        self._cassette: dict[str, Any] = {
            "version": CASSETTE_VERSION,
            **{k: scrub(v, secrets) for k, v in meta.items()},
            "interactions": [],
        }

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward, read the whole response, record it, and hand back a replayable copy."""
        body = await request.aread()
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        await response.aclose()
        headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
        self._cassette["interactions"].append(
            {
                "request": {
                    "method": request.method,
                    "path": request.url.path,
                    "body": _body_json(body, self._secrets),
                },
                "response": {
                    "status": response.status_code,
                    "headers": headers,
                    "body": scrub(content.decode("utf-8", errors="replace"), self._secrets),
                },
            }
        )
        self._path.write_text(json.dumps(self._cassette, indent=2, ensure_ascii=False))
        return httpx.Response(response.status_code, headers=headers, content=content)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


class ReplayTransport(httpx.AsyncBaseTransport):
    """Serves a cassette's responses in order, refusing any request that was not recorded."""

    def __init__(self, path: str | Path) -> None:
        self.cassette = load_cassette(path)
        self._path = Path(path)
        self._next = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The recorded response for this request, if it is the one the cassette expects next."""
        interactions = self.cassette["interactions"]
        got = {
            "method": request.method,
            "path": request.url.path,
            "body": _body_json(await request.aread()),
        }
        if self._next >= len(interactions):
            raise ReplayMismatchError(
                f"{self._path}: request {self._next + 1} ({got['method']} {got['path']}) "
                f"was not recorded; the cassette has {len(interactions)}"
            )
        want = interactions[self._next]["request"]
        for key in ("method", "path", "body"):
            if scrub(json.dumps(got[key], sort_keys=True)) != json.dumps(want[key], sort_keys=True):
                raise ReplayMismatchError(
                    f"{self._path}: request {self._next + 1} differs from the recording in its "
                    f"{key}; re-record the cassette if the change is intended"
                )
        recorded = interactions[self._next]["response"]
        self._next += 1
        return httpx.Response(
            recorded["status"], headers=recorded["headers"], content=recorded["body"].encode()
        )

    def assert_complete(self) -> None:
        """Fail if the run made fewer requests than were recorded."""
        left = len(self.cassette["interactions"]) - self._next
        if left:
            raise ReplayMismatchError(f"{self._path}: {left} recorded requests were not replayed")


def load_cassette(path: str | Path) -> dict[str, Any]:
    """Read a cassette, turning a missing or malformed file into a config error naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read cassette ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: cassette is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("version") != CASSETTE_VERSION:
        raise ConfigError(f"{path}: not a skillweave cassette (version {CASSETTE_VERSION})")
    return data
