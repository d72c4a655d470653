"""``skillweave worker``: serve skill runs handed to Temporal, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from agent.cli._common import EXIT_OK
from agent.errors import ConfigError


@contextmanager
def temporal_required() -> Iterator[None]:
    """Imports of :mod:`agent.temporal` inside; a missing optional SDK is a one-line error."""
    try:
        yield
    except ImportError as exc:
        if not (exc.name or "").startswith("temporalio"):
            raise
        raise ConfigError(
            "Temporal support needs the temporalio SDK: pip install 'skillweave[temporal]'"
        ) from None


def run_worker(args: argparse.Namespace) -> int:
    """Connect to the server and run workflows and activities for the task queue."""
    with temporal_required():
        from agent.temporal.worker import run_worker as serve
    asyncio.run(serve(args.temporal, args.task_queue, args.db))
    return EXIT_OK
