"""No secret leaves a run: not the API key, not secret-shaped evidence in the transcript.

A whole incident-response run drives the real ``OpenAIChatModel`` (the genuine
openai SDK over respx) with a distinctive API key, real tools over an evidence
bundle whose log lines carry credentials, and the SQLite checkpointer. Then
every artefact the run leaves is read raw: the checkpoint database (and its
WAL), the data directory's status and action logs, the exported transcript
and the log records at DEBUG level.

The evidence layer scrubs credentials as it reads a bundle (:mod:`agent._secrets`),
so neither the checkpoint nor the transcript ever holds the planted ones.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml
from llm.conftest import api as server
from llm.conftest import model_requests
from llm.wire import BASE_URL, completion

from agent.engine import api
from agent.llm import OpenAIChatModel, RetryPolicy
from agent.plugins import ToolContext, load_tools
from agent.skill.library import Library, SkillSet

__all__ = ["model_requests", "server"]  # the model layer's fixtures, shared here

REPO = Path(__file__).resolve().parents[2]
HAPPY = REPO / "tests" / "graph" / "scripts" / "incident_happy.yaml"
API_KEY = "sk-test-SHOULD-NEVER-LEAK-1234567890"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hIn0.c2lnbmF0dXJlLXNlY3JldA"
LOG_KEY = "sk-live-abcdefghijklmnop0123456789"
PASSWORD = "hunter2-db-prod"
THREAD = "t-secrets"

CALL_ORDER = [
    ("plan", "Plan"),
    ("step:severity-classification", "StepResult"),
    ("step:triage", "StepResult"),
    ("step:mitigate", "StepResult"),
    ("step:postmortem", "StepResult"),
    ("judge:postmortem", "GuardVerdicts"),
    ("audit", "AuditCheck"),
]
"""The order the graph calls the model in a run that needs no human, with each schema."""

TOOL_ROUNDS = {
    "step:triage": ("search_logs", {"level": "error"}),
    "step:mitigate": ("post_status_update", {"message": "checkout rolled back, watching"}),
}
"""A tool call the model makes before its final reply, so evidence and channels are used."""


def _bundle(root: Path) -> Path:
    root.mkdir()
    (root / "incident.md").write_text("# Checkout 5xx\nCheckout fails since 10:02.\n")
    lines = [
        {"timestamp": "2026-11-26T10:02:00Z", "level": "error", "service": "checkout",
         "message": f"upstream 401 with Authorization: Bearer {JWT}"},
        {"timestamp": "2026-11-26T10:03:00Z", "level": "error", "service": "checkout",
         "message": f"payment client init failed key={LOG_KEY}"},
        {"timestamp": "2026-11-26T10:04:00Z", "level": "error", "service": "checkout",
         "message": f"db connect refused user=checkout password={PASSWORD}"},
    ]  # fmt: skip
    (root / "logs.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def _replies() -> deque[tuple[str, httpx.Response]]:
    """The scripted happy-path replies as chat completions, in call order, tool rounds first."""
    script = yaml.safe_load(HAPPY.read_text(encoding="utf-8"))
    queue: deque[tuple[str, httpx.Response]] = deque()
    for purpose, schema in CALL_ORDER:
        if purpose in TOOL_ROUNDS:
            name, args = TOOL_ROUNDS[purpose]
            body = completion(tool_calls=[("call-1", name, args)])
            queue.append((schema, httpx.Response(200, json=body)))
        output = script[purpose][0]["output"]
        if purpose == "step:postmortem":  # the evidence rule wants every cited log line linked
            links = ", ".join(f"`logs.jsonl:{n}`" for n in (1, 2, 3))
            output["fields"]["postmortem"] += f"Evidence: {links}\n"
        output = json.dumps(output)
        queue.append((schema, httpx.Response(200, json=completion(output))))
    return queue


def _responder(queue: deque[tuple[str, httpx.Response]]) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        schema, response = queue.popleft()
        sent = json.loads(request.content)["response_format"]["json_schema"]["name"]
        assert sent == schema, f"expected a {schema} request, got {sent}: call order changed"
        return response

    return respond


@pytest.fixture
def seed() -> SkillSet:
    return Library([REPO / "skills"]).resolve("incident-response")


@pytest.fixture
async def run(
    server: respx.MockRouter, seed: SkillSet, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Path:
    """A finished run; returns the data directory holding everything it wrote."""
    caplog.set_level(logging.DEBUG)
    queue = _replies()
    route = server.post("/chat/completions").mock(side_effect=_responder(queue))
    data = tmp_path / "data"
    ctx = ToolContext(data_dir=data, thread_id=THREAD, evidence_dir=_bundle(tmp_path / "bundle"))
    model = OpenAIChatModel(
        model="gpt-test",
        base_url=BASE_URL,
        api_key=API_KEY,
        http_client=httpx.AsyncClient(),
        retry=RetryPolicy(max_attempts=1),
    )
    tools = load_tools(seed.skill, ctx)
    result = await api.start(
        seed, {"alert": "checkout 5xx"}, THREAD, model=model, tools=tools, data_dir=data
    )
    assert result.status == "completed", result.error or result.violations
    assert not queue, "replies left unconsumed"
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"
    return data


def _files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*")) if p.is_file()]


async def test_the_run_really_used_the_key_tools_and_evidence(run: Path) -> None:
    transcript = await api.export_transcript(THREAD, data_dir=run)
    called = [c.name for s in transcript.steps for c in s.tool_calls]
    assert called == ["search_logs", "post_status_update"]
    assert {p.parent.name for p in _files(run)} >= {"status", "actions"}


async def test_the_api_key_is_in_no_file_of_the_data_directory(run: Path) -> None:
    files = _files(run)
    assert any(p.name.startswith("skillweave.sqlite") for p in files)
    leaks = [str(p) for p in files if API_KEY.encode() in p.read_bytes()]
    assert leaks == []


async def test_the_api_key_is_not_in_the_exported_transcript(run: Path) -> None:
    transcript = await api.export_transcript(THREAD, data_dir=run, include_scratchpad=True)
    assert API_KEY not in transcript.model_dump_json()


async def test_the_api_key_is_in_no_log_record_at_debug_level(
    run: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records = caplog.get_records("setup")  # the run happens in the fixture
    assert any(r.levelno == logging.DEBUG for r in records), "no DEBUG records: an empty check"
    text = "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in records)
    assert API_KEY not in text


async def test_secret_shaped_evidence_is_redacted_in_the_exported_transcript(run: Path) -> None:
    values, _ = await api.read_state(THREAD, data_dir=run)
    kept = json.dumps(values, default=str)
    assert "[redacted:bearer_token]" in kept  # the run saw the evidence, scrubbed as it was read
    assert JWT not in kept
    assert LOG_KEY not in kept
    assert PASSWORD not in kept
    text = (await api.export_transcript(THREAD, data_dir=run)).model_dump_json()
    assert JWT not in text
    assert LOG_KEY not in text
    assert PASSWORD not in text
    assert "[redacted" in text


def test_a_cli_run_leaves_the_key_in_no_recipe_or_data_file(
    model_requests: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.cli import main  # the CLI builds its own client from the environment

    home = tmp_path / "home"
    monkeypatch.setenv("SKILLWEAVE_HOME", str(home))
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    queue = _replies()
    with respx.mock(base_url=BASE_URL) as router:
        router.post("/chat/completions").mock(side_effect=_responder(queue))
        code = main(
            [
                "run",
                str(REPO / "skills" / "incident-response"),
                "--model",
                "openai:gpt-test",
                "--evidence",
                str(_bundle(tmp_path / "bundle")),
                "--thread",
                THREAD,
                "--no-input",
                "--json",
            ]
        )
    assert code == 0
    files = _files(home)
    assert any(p.name.endswith(".sqlite") for p in files)  # the recipe lives in the database
    assert [str(p) for p in files if API_KEY.encode() in p.read_bytes()] == []
