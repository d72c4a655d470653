"""A loopback OpenAI-compatible server for benchmarks: fixed latency, schema-filling replies.

Run as a process: ``python bench/loopback_server.py LATENCY_MS``; it prints its port and
serves ``POST /v1/chat/completions``. Each reply waits ``LATENCY_MS`` and then
answers with the smallest JSON value that fits the request's schema
(``response_format.json_schema``, or the ``schema`` a json_object request carries;
no tool calls): real HTTP, a real server, no model.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.schema_fill import fill


def _reply(request: dict[str, Any]) -> dict[str, Any]:
    fmt = request.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema") or {}
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
