"""A loopback OpenAI-compatible server for benchmarks: fixed latency, schema-filling replies.

Run as a process: ``python bench/_loopback.py LATENCY_MS``; it prints its port and
serves ``POST /v1/chat/completions``. Each reply waits ``LATENCY_MS`` and then
answers with the smallest JSON value that fits the request's
``response_format.json_schema`` (no tool calls): real HTTP, a real server, no model.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


def fill(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value that validates against ``schema`` (the subset strict mode uses)."""
    if "$ref" in schema:
        return fill(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fill(options[0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        if not props and schema.get("additionalProperties"):
            return {"item": "x"}  # a free-form mapping: one entry, so it is not empty
        return {k: fill(v, defs) for k, v in props.items()}
    if kind == "array":
        items = schema.get("items", {})
        # lists of records (questions, actions) stay empty; lists of values get one
        records = "$ref" in items or items.get("type") == "object"
        count = max(schema.get("minItems", 0), 0 if records else 1)
        return [fill(items, defs) for _ in range(count)]
    if kind == "string":
        return "x"
    if kind == "integer":
        return 1
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return True
    return None


def _reply(request: dict[str, Any]) -> dict[str, Any]:
    fmt = request.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") or {}
    content = json.dumps(fill(schema, schema.get("$defs", {}))) if schema else "ok"
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "bench"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, wait: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = json.loads(await reader.readexactly(length)) if length else {}
            await asyncio.sleep(wait)
            data = json.dumps(_reply(body)).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError):
        writer.close()


async def main(latency_ms: float) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve(r, w, latency_ms / 1000), "127.0.0.1", 0, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 100.0))
