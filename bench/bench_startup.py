"""Time the CLI's start-up: the light commands against a bare interpreter.

Run: ``.venv/bin/python bench/bench_startup.py``. Not a test: it prints numbers.
Each command runs as a fresh process (what a user waits for) ``RUNS`` times from
the repository root; the median wall time is compared with ``python -c pass``
run the same way. Targets: under 150 ms, and at most 10x the bare interpreter.
The median CPU time (user + system) of each process is printed too: on a machine
other jobs load, wall time measures the queue for a core, CPU time the command.
"""

from __future__ import annotations

import os
import resource
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


def median_ms(argv: list[str]) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``argv`` over ``RUNS`` runs, after one warm-up run."""
    # PYTHONDONTWRITEBYTECODE would compile every module from source on every run; an
    # installed package has its .pyc files (pip writes them), so the warm-up run writes them.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SKILLWEAVE_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    wall, cpu = [], []
    for i in range(RUNS + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:  # the first run warms the page cache and writes .pyc files
            wall.append(elapsed * 1000)
            used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            cpu.append(used * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    """Print one row per command: median wall and CPU ms, and their ratios to ``python -c pass``."""
    results = {name: median_ms(argv) for name, argv in COMMANDS.items()}
    base_wall, base_cpu = results["python -c pass"]
    print(f"start-up, median of {RUNS} runs (target < {TARGET_MS:.0f} ms, <= {TARGET_RATIO:.0f}x)")
    print(f"  {'':28} {'wall':>9}  {'ratio':>6}  {'cpu':>9}  {'ratio':>6}")
    for name, (wall, cpu) in results.items():
        ratio = wall / base_wall
        verdict = (
            ""
            if name.startswith("python")
            else ("  ok" if wall < TARGET_MS and ratio <= TARGET_RATIO else "  OVER TARGET")
        )
        print(
            f"  {name:28} {wall:6.1f} ms  {ratio:5.1f}x  {cpu:6.1f} ms  {cpu / base_cpu:5.1f}x"
            f"{verdict}"
        )


if __name__ == "__main__":
    main()
