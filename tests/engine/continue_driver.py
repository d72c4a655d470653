"""A separate process that drives the example run to its end: start it, or continue it.

Usage: ``python continue_driver.py DB HOME THREAD``. Starts the thread if the
database has no such run, else continues it (answering from the example's
answers file) until it completes or blocks; prints the final status. The random
kill test runs it again and again, killing it with SIGKILL at random moments.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yaml

from agent.engine import api
from agent.engine.answers import match_answers
from agent.errors import UnknownThreadError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"


async def main(db: str, home: Path, thread: str) -> str:
    given = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))
    try:
        result = await api.get_status(thread, db=db, data_dir=home)
    except UnknownThreadError:
        result = await api.start(
            "incident-response",
            {"incident": "checkout 5xx"},
            thread,
            model=f"scripted:{EXAMPLE / 'script.yaml'}",
            db=db,
            data_dir=home,
            evidence=EXAMPLE,
        )
    while result.status in ("paused", "failed"):
        answers = match_answers(result.questions, given, set()) if result.questions else None
        result = await api.resume(thread, answers, db=db, data_dir=home)
    return result.status


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3])))
