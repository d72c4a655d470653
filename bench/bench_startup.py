"""Time the CLI's start-up: the light commands against a bare interpreter.

Run: ``.venv/bin/python bench/bench_startup.py``. Not a test: it prints numbers.
Each command runs as a fresh process (what a user waits for) ``RUNS`` times from
the repository root; the median wall time is compared with ``python -c pass``
run the same way. Targets: under 150 ms, and at most 10x the bare interpreter.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKILLWEAVE = str(Path(sys.executable).parent / "skillweave")
RUNS = 10
TARGET_MS = 150.0
TARGET_RATIO = 10.0
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "skillweave --help": [SKILLWEAVE, "--help"],
    "skillweave skills list": [SKILLWEAVE, "skills", "list"],
    "skillweave validate skills": [SKILLWEAVE, "validate", "skills"],
}


def median_ms(argv: list[str]) -> float:
    """Median wall time of ``argv`` over ``RUNS`` runs, after one warm-up run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLWEAVE_")}
    samples = []
    for i in range(RUNS + 1):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        if i:  # the first run warms the page cache and writes .pyc files
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Print one row per command: median ms and the ratio to ``python -c pass``."""
    results = {name: median_ms(argv) for name, argv in COMMANDS.items()}
    baseline = results["python -c pass"]
    print(f"start-up, median of {RUNS} runs (target < {TARGET_MS:.0f} ms, <= {TARGET_RATIO:.0f}x)")
    for name, ms in results.items():
        ratio = ms / baseline
        verdict = (
            ""
            if name.startswith("python")
            else ("  ok" if ms < TARGET_MS and ratio <= TARGET_RATIO else "  OVER TARGET")
        )
        print(f"  {name:28} {ms:7.1f} ms  {ratio:5.1f}x{verdict}")


if __name__ == "__main__":
    main()
