"""``skillweave run|answer --engine temporal://…`` hand the run to a worker process."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from agent.cli import main
from agent.engine import api

from .conftest import WorkerFactory
from .runs import EXAMPLE

pytestmark = pytest.mark.temporal


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _run_args(address: str, task_queue: str) -> list[str]:
    return [
        "run",
        "incident-response",
        "--engine",
        f"temporal://{address}",
        "--task-queue",
        task_queue,
        "--model",
        f"scripted:{EXAMPLE / 'script.yaml'}",
        "--evidence",
        str(EXAMPLE),
        "--no-input",
    ]


@pytest.fixture
def worker(spawn_worker: WorkerFactory) -> None:
    """One worker process serving the test's task queue."""
    spawn_worker()


@pytest.mark.usefixtures("worker")
def test_run_with_an_answers_file_completes_on_the_worker(
    capsys: pytest.CaptureFixture[str], temporal_address: str, task_queue: str, postgres: str
) -> None:
    args = [*_run_args(temporal_address, task_queue), "--json"]
    code, out, err = _cli(capsys, *args, "--answers-file", str(EXAMPLE / "answers.yaml"))
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "completed"
    stored = asyncio.run(api.get_status(result["thread_id"], db=postgres))
    assert stored.status == "completed"  # the worker ran it in its run database


@pytest.mark.usefixtures("worker")
def test_a_paused_run_is_answered_later_through_the_workflow(
    capsys: pytest.CaptureFixture[str], temporal_address: str, task_queue: str
) -> None:
    code, _, err = _cli(capsys, *_run_args(temporal_address, task_queue))
    assert code == 3, err
    hint = re.search(r"skillweave answer (\w+) --engine (\S+)", err)
    assert hint is not None, err
    thread_id, engine = hint.groups()
    assert engine == f"temporal://{temporal_address}"

    code, _, err = _cli(capsys, "answer", thread_id, "--engine", engine, "--answer", "q1=SEV7")
    assert code == 2
    assert "not one of the choices" in err
    assert len(err.strip().splitlines()) == 1

    answers = str(EXAMPLE / "answers.yaml")
    code, out, err = _cli(
        capsys, "answer", thread_id, "--engine", engine, "--answers-file", answers, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "completed"


def test_an_engine_that_is_not_temporal_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _cli(capsys, "run", "incident-response", "--engine", "http://x:1")
    assert code == 2
    assert "use temporal://HOST:PORT" in err
