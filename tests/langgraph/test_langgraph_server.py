"""Skills on a real LangGraph Server (``langgraph dev``), driven with ``langgraph_sdk``.

The server runs from its own venv (``make langgraph-server`` builds ``.venv-langgraph``:
langgraph-api pins a jsonschema-rs that schemathesis in the test venv cannot share),
serving the langgraph.json that ``skillweave langgraph-config skills`` writes. The run
uses the scripted model, so nothing reaches a hosted model: two clarifying questions
wait at once and are resumed by interrupt id, then one action is approved and another
rejected with HITL decisions, and the thread's transcript is exported through skillweave.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk import get_client
from support.processes import free_port, wait_until_up

from agent.audit import verify_chain
from agent.cli import main

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("two-at-once.yaml")
EVIDENCE = REPO / "examples" / "incidents" / "cart-multi-service"
LANGGRAPH = Path(os.environ.get("SKILLWEAVE_LANGGRAPH_BIN", REPO / ".venv-langgraph/bin/langgraph"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not LANGGRAPH.exists(), reason=f"no {LANGGRAPH}: `make langgraph-server` builds it"
    ),
]


DELIVERED: list[tuple[dict[str, Any], str]] = []
"""What the action webhook received: each POST's JSON and its Idempotency-Key."""


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        DELIVERED.append((json.loads(body), str(self.headers.get("Idempotency-Key"))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def hook() -> Iterator[str]:
    """A loopback action webhook that records what it receives."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{receiver.server_address[1]}/actions"
    finally:
        receiver.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hook: str) -> Iterator[str]:
    """``langgraph dev`` on a free loopback port, serving our skills offline."""
    served = tmp_path_factory.mktemp("served")
    assert main(["langgraph-config", str(REPO / "skills"), "-o", str(served)]) == 0
    port = free_port()
    env = {
        **os.environ,
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "SKILLWEAVE_HOME": str(served / "home"),
        "SKILLWEAVE_ALLOWED_MODELS": f"scripted:{SCRIPT}",
        "SKILLWEAVE_EVIDENCE_ROOTS": str(EVIDENCE.parent),
        "SKILLWEAVE_ACTION_WEBHOOK": hook,
    }
    env.pop("SKILLWEAVE_MODEL", None)
    command = [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--allow-blocking"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = (served / "dev.log").open("w")
    process = subprocess.Popen(command, cwd=served, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/ok", process, seconds=60, log=served / "dev.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


async def test_the_server_offers_one_assistant_per_skill(server: str) -> None:
    assistants = await get_client(url=server).assistants.search()
    assert {a["graph_id"] for a in assistants} >= {"incident-response", "constitution"}


def _by_action(interrupts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["value"]["action_requests"][0]["name"]: i for i in interrupts}


async def test_a_skill_run_pauses_resumes_by_interrupt_id_and_exports_its_transcript(
    server: str, tmp_path: Path
) -> None:
    client = get_client(url=server)
    thread = (await client.threads.create())["thread_id"]
    run: dict[str, Any] = {"config": {"configurable": {"model": f"scripted:{SCRIPT}"}}}
    await client.runs.wait(
        thread, "incident-response", input={"inputs": {"evidence": str(EVIDENCE)}}, **run
    )

    questions = (await client.threads.get_state(thread))["interrupts"]
    assert [i["value"]["alias"] for i in questions] == ["q1", "q2"]  # both wait at once
    assert questions[0]["value"]["options"] == ["SEV2", "SEV3"]
    assert questions[0]["response_schema"]["anyOf"][0]["type"] == "string"
    answers = {questions[0]["id"]: "SEV2", questions[1]["id"]: {"text": "cart", "by": "sam"}}
    await client.runs.wait(thread, "incident-response", command={"resume": answers}, **run)

    approvals = _by_action((await client.threads.get_state(thread))["interrupts"])
    assert set(approvals) == {"feature-flag-off", "rollback-deploy"}
    review = approvals["rollback-deploy"]["value"]["review_configs"][0]
    assert review["allowed_decisions"] == ["approve", "edit", "reject"]
    decisions = {
        approvals["feature-flag-off"]["id"]: {"decisions": [{"type": "approve"}], "by": "sam"},
        approvals["rollback-deploy"]["id"]: {
            "decisions": [{"type": "reject", "message": "it reverts the CVE fix"}],
            "by": "sam",
        },
    }
    await client.runs.wait(thread, "incident-response", command={"resume": decisions}, **run)

    state = await client.threads.get_state(thread)
    assert state["values"]["status"] == "completed"
    assert state["interrupts"] == []
    out = tmp_path / "transcript.json"
    assert main(["transcript", "--langgraph", server, thread, "-o", str(out)]) == 0
    transcript = json.loads(out.read_text())
    assert transcript["status"] == "completed"
    decided = {a["question_id"]: a for a in transcript["answers"]}
    rejected = decided[approvals["rollback-deploy"]["value"]["id"]]
    assert (rejected["decision"], rejected["message"], rejected["by"]) == (
        "reject",
        "it reverts the CVE fix",
        "sam",
    )
    assert decided[approvals["feature-flag-off"]["value"]["id"]]["approved"] is True
    assert verify_chain(transcript["audit_log"]) == []
    # the approved action left once, from the graph itself; the rejected one never did
    mine = [(p, key) for p, key in DELIVERED if p["thread_id"] == thread]
    assert [(p["action"]["type"], p["approved_by"]) for p, _ in mine] == [
        ("feature-flag-off", "sam")
    ]
    assert mine[0][1] == approvals["feature-flag-off"]["value"]["id"]


@pytest.mark.parametrize(
    ("configurable", "inputs", "refusal"),
    [
        ({"model": "openai:gpt-4o@http://127.0.0.1:9/v1"}, {}, "is not offered by this server"),
        (
            {"model": f"scripted:{SCRIPT}"},
            {"evidence": "/etc"},
            "under the server's evidence roots",
        ),
    ],
    ids=["unoffered-model", "evidence-outside-the-roots"],
)
async def test_a_run_naming_what_the_operator_did_not_offer_errors_with_the_reason(
    server: str, configurable: dict[str, str], inputs: dict[str, str], refusal: str
) -> None:
    client = get_client(url=server)
    thread = (await client.threads.create())["thread_id"]
    with pytest.raises(Exception, match=refusal):
        await client.runs.wait(
            thread,
            "incident-response",
            input={"inputs": inputs},
            config={"configurable": configurable},
        )
