"""``skillweave run`` on a real (pseudo-)terminal: questions are asked and the run goes on."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from scripts import runs

from agent.skill.library import Library

REPO = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from agent.cli import main; sys.exit(main(sys.argv[1:]))"


def _read_all(fd: int, timeout_s: float = 60.0) -> bytes:
    """Everything the child writes to the terminal until it closes it."""
    output = b""
    while select.select([fd], [], [], timeout_s)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        output += chunk
    return output


@pytest.mark.slow
def test_a_terminal_user_answers_the_question_and_the_run_completes(tmp_path: Path) -> None:
    seed = Library([REPO / "skills"]).resolve("incident-response").skill
    spec = runs.write(runs.asking(seed), tmp_path / "script.yaml")
    env = {**os.environ, "SKILLWEAVE_HOME": str(tmp_path / "home")}
    env.pop("SKILLWEAVE_MODEL", None)
    primary, secondary = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "run", "incident-response", "--model", spec],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=REPO,
        env=env,
    )
    os.close(secondary)
    os.write(primary, b"SEV3\n")  # typed ahead: the terminal holds the line until it is read
    output = _read_all(primary).decode("utf-8", errors="replace")
    os.close(primary)
    assert child.wait(timeout=60) == 0, output
    assert "choices: SEV2 / SEV3" in output
    assert "answer q1 [SEV2/SEV3] (empty to skip)" in output
    assert "SEV3" in output.split("(empty to skip)", 1)[1]
    assert output.count("Classify as SEV2 or SEV3?") == 1  # printed once, when asked
    assert "status: completed" in output
    assert "☐ Add a canary stage" in output  # the postmortem's markdown, rendered for a terminal


@pytest.mark.slow
def test_ctrl_c_at_a_question_exits_at_once_with_130_and_the_run_stays_paused(
    tmp_path: Path,
) -> None:
    import signal
    import time

    seed = Library([REPO / "skills"]).resolve("incident-response").skill
    spec = runs.write(runs.asking(seed), tmp_path / "script.yaml")
    env = {**os.environ, "SKILLWEAVE_HOME": str(tmp_path / "home")}
    env.pop("SKILLWEAVE_MODEL", None)
    primary, secondary = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "run", "incident-response", "--model", spec],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=REPO,
        env=env,
    )
    os.close(secondary)
    seen = b""
    while b"(empty to skip)" not in seen:
        assert select.select([primary], [], [], 60)[0], seen
        seen += os.read(primary, 4096)
    interrupted = time.monotonic()
    child.send_signal(signal.SIGINT)  # what Ctrl-C at the prompt delivers
    assert child.wait(timeout=10) == 130
    assert time.monotonic() - interrupted < 5
    output = (seen + _read_all(primary, 2)).decode("utf-8", errors="replace")
    os.close(primary)
    assert "stays paused; continue it with: skillweave answer" in output
    thread = output.split("skillweave answer ", 1)[1].split()[0]
    status = subprocess.run(
        [sys.executable, "-c", ENTRY, "status", thread, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert '"status": "paused"' in status.stdout
