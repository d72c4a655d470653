"""A separate process for the persistence tests: start, resume or continue one run.

Usage: ``python driver.py ACTION --db URL --skill PATH --script FILE [--thread ID]
[--answers JSON] [--block-on PURPOSE --marker FILE [--release FILE]]``.
Prints the RunResult as JSON on stdout; a user error prints ``error: ...`` on
stderr and exits 2. ``--block-on`` is the test-only hook: before the model call
for that purpose the process writes ``--marker`` and waits (short polls) until
``--release`` exists, or forever (until the test kills it) when none is given.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.engine import api
from agent.errors import UserError
from agent.llm.base import ModelRequest, ModelResponse
from agent.llm.scripted import ScriptedModel


class BlockingModel:
    """Delegates to the scripted model but parks before one purpose's call."""

    def __init__(
        self, inner: ScriptedModel, purpose: str, marker: Path, release: Path | None
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.purpose = purpose
        self.marker = marker
        self.release = release

    async def generate(self, request: ModelRequest[Any]) -> ModelResponse[Any]:
        if request.purpose == self.purpose:
            self.marker.write_text("blocked")
            while self.release is None or not self.release.exists():  # noqa: ASYNC110 - waits on another process
                await asyncio.sleep(0.01)
        return await self.inner.generate(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "resume"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--skill", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--thread")
    parser.add_argument("--answers")
    parser.add_argument("--block-on")
    parser.add_argument("--marker")
    parser.add_argument("--release")
    args = parser.parse_args()
    model: Any = ScriptedModel.from_file(Path(args.script))
    if args.block_on:
        release = Path(args.release) if args.release else None
        model = BlockingModel(model, args.block_on, Path(args.marker), release)
    try:
        if args.action == "start":
            result = await api.start(
                args.skill, {"alert": "checkout 5xx"}, args.thread, model=model, db=args.db
            )
        else:
            answers = json.loads(args.answers) if args.answers else None
            result = await api.resume(args.thread, answers, model=model, db=args.db)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(dataclasses.asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
