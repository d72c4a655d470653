"""``skillweave worker``: serve skill runs handed to Temporal, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio

from agent.cli._common import EXIT_OK
from agent.errors import ConfigError


def temporal_missing() -> ConfigError:
    """What to say when the optional Temporal SDK is not installed."""
    return ConfigError(
        "Temporal support needs the temporalio SDK: pip install 'skillweave[temporal]'"
    )


def run_worker(args: argparse.Namespace) -> int:
    """Connect to the server and run workflows and activities for the task queue."""
    try:
        from agent.temporal.worker import run_worker as serve
    except ImportError as exc:
        if exc.name and exc.name.startswith("temporalio"):
            raise temporal_missing() from None
        raise
    asyncio.run(serve(args.temporal, args.task_queue, args.db))
    return EXIT_OK
