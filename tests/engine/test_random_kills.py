"""kill -9 at random moments across the processes of one run: every run still ends the same.

Real processes, real SIGKILL, at seeded random delays; after each kill a new process
continues the run from its thread id. The finished run must have the same recorded
model calls, backlog items and status updates as a run nobody killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from agent.engine.store import open_store

DRIVER = Path(__file__).with_name("continue_driver.py")
TRIALS = 6
KILLS_PER_TRIAL = 3


def _drive(db: str, home: Path, kill_after: float | None) -> str | None:
    """Run the driver once; kill it ``kill_after`` s after its run is under way, or let it end.

    The clock starts once the run database exists, so start-up time under load does
    not decide where the kill lands. Returns the final status, or None when killed.
    """
    env = {**os.environ, "PYTHONPATH": str(DRIVER.parents[2])}
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), db, str(home), "t"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    if kill_after is not None:
        while not (home / "runs.sqlite").exists() and proc.poll() is None:
            time.sleep(0.005)
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out.strip()


def _run_time(home: Path) -> float:
    """How long a driver takes from the moment its run database exists to its end."""
    env = {**os.environ, "PYTHONPATH": str(DRIVER.parents[2])}
    db = f"sqlite:///{home / 'runs.sqlite'}"
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), db, str(home), "t"], stdout=subprocess.PIPE, env=env
    )
    while not (home / "runs.sqlite").exists() and proc.poll() is None:
        time.sleep(0.005)
    started = time.monotonic()
    proc.communicate(timeout=120)
    return time.monotonic() - started


async def _calls(db: str, home: Path) -> Counter[str]:
    async with open_store(db, data_dir=home) as store:
        entries = await store.journal_entries("t")
    return Counter(e["purpose"] for e in entries if e["kind"] == "call")


async def _started(db: str, home: Path) -> bool:
    """Whether the killed process had got as far as recording the run."""
    if not (home / "runs.sqlite").exists():
        return False
    async with open_store(db, data_dir=home) as store:
        return await store.get_run("t") is not None


def _effects(home: Path) -> tuple[list[str], list[str]]:
    backlog = [json.loads(x)["title"] for x in (home / "backlog.jsonl").read_text().splitlines()]
    updates = [
        json.loads(x)["text"] for x in (home / "status" / "t.jsonl").read_text().splitlines()
    ]
    return backlog, updates


@pytest.mark.slow
def test_random_kills_across_processes_never_strand_a_run_or_repeat_an_effect(
    tmp_path: Path,
) -> None:
    clean = tmp_path / "clean"
    clean_db = f"sqlite:///{clean / 'runs.sqlite'}"
    assert _drive(clean_db, clean, None) == "completed"
    whole = _run_time(tmp_path / "timing")
    expected_calls, expected_effects = asyncio.run(_calls(clean_db, clean)), _effects(clean)
    rng = random.Random(20261201)
    mid_run = 0
    for trial in range(TRIALS):
        home = tmp_path / f"trial-{trial}"
        db = f"sqlite:///{home / 'runs.sqlite'}"
        status = None
        for _ in range(KILLS_PER_TRIAL):
            status = _drive(db, home, rng.uniform(0.0, whole))
            if status is not None:
                break
            mid_run += asyncio.run(_started(db, home))
        if status is None:
            status = _drive(db, home, None)
        assert status == "completed", f"trial {trial}"
        assert asyncio.run(_calls(db, home)) == expected_calls, f"trial {trial}"
        assert _effects(home) == expected_effects, f"trial {trial}"
    assert mid_run >= 2  # kills did land while the run was going on (not only at start-up)
