"""Time parsing and resolving every corpus skill against a same-process YAML baseline.

Run: ``.venv/bin/python bench/bench_parse.py``. Not a test: it prints numbers.
Target: parse + resolve under 5 ms per skill.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.errors import SkillweaveError  # noqa: E402
from agent.skill.library import Library, discover_files, load_skill  # noqa: E402

CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
GARDENS = (CORPUS / "garden-v3", CORPUS / "garden-v4")
ROUNDS = 20
TARGET_MS = 5.0


def baseline(path: Path) -> None:
    """Read the file and yaml.safe_load its frontmatter: the least any parser must do."""
    text = path.read_text(encoding="utf-8")
    _, frontmatter, _ = text.split("---\n", 2)
    yaml.safe_load(frontmatter)


def time_ms(func: Callable[[Path], object], path: Path) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        func(path)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def resolve_rounds(files: list[Path]) -> tuple[list[float], list[float]]:
    """Per-skill parse + resolve times, and per-round discovery times, fresh library each round."""
    per_skill: list[float] = []
    discovery: list[float] = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        library = Library([*GARDENS, REPO / "skills"])
        discovery.append((time.perf_counter() - start) * 1000)
        for path in files:
            start = time.perf_counter()
            # The corpus names dependencies it does not contain; parsing still counts.
            with contextlib.suppress(SkillweaveError):
                library.resolve(str(path))
            per_skill.append((time.perf_counter() - start) * 1000)
    return per_skill, discovery


def main() -> int:
    files = [path for garden in GARDENS for path in discover_files(garden)]
    parse = [ms for path in files for ms in time_ms(load_skill, path)]
    base = [ms for path in files for ms in time_ms(baseline, path)]
    resolve, discovery = resolve_rounds(files)
    print(f"{len(files)} corpus skills x {ROUNDS} rounds")
    for label, samples in (
        ("read + parse", parse),
        ("parse + resolve", resolve),
        ("baseline (read + yaml)", base),
    ):
        mean = statistics.fmean(samples)
        print(f"  {label:24} mean {mean:7.3f} ms  p95 {p95(samples):7.3f} ms  per skill")
    print(f"  {'discovery':24} mean {statistics.fmean(discovery):7.3f} ms  per library")
    ratio = statistics.fmean(resolve) / statistics.fmean(base)
    verdict = "OK" if statistics.fmean(resolve) < TARGET_MS else "OVER TARGET"
    print(f"  parse + resolve / baseline: {ratio:.1f}x   target < {TARGET_MS} ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
