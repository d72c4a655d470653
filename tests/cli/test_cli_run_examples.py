"""The main job: the example incidents run offline through ``skillweave run``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import respx

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "incidents"
SCRIPTED = sorted(
    p.name
    for p in EXAMPLES.glob("*")
    if (p / "script.yaml").is_file() and (p / "answers.yaml").is_file()
)
FIRST = "checkout-deploy-spike"
Cli = Callable[..., Any]


pytestmark = pytest.mark.usefixtures("fresh_home")


def _main_job(name: str, *extra: str) -> list[str]:
    bundle = f"examples/incidents/{name}"
    return [
        "run",
        "incident-response",
        "--evidence",
        bundle,
        "--model",
        f"scripted:{bundle}/script.yaml",
        *extra,
    ]


def test_the_first_example_ships_a_script_and_answers() -> None:
    assert FIRST in SCRIPTED


@pytest.mark.parametrize("name", SCRIPTED)
def test_the_main_job_command_completes_offline_with_the_four_outputs(cli: Cli, name: str) -> None:
    answers = f"examples/incidents/{name}/answers.yaml"
    result = cli(*_main_job(name, "--answers-file", answers, "--no-input"))
    assert result.code == 0, result.err
    assert "replies come from a script" in result.err
    for heading in ("Severity:", "Timeline:", "Mitigation:", "Postmortem:"):
        assert heading in result.out


def test_the_first_example_asks_a_question_the_answers_file_answers(cli: Cli) -> None:
    answers = f"examples/incidents/{FIRST}/answers.yaml"
    result = cli(*_main_job(FIRST, "--answers-file", answers, "--no-input"))
    assert "? [q1] question (step severity-classification" in result.err
    assert "← q1: SEV2" in result.err


def _answers_file(tmp_path: Path, severity: str, approval: str) -> str:
    """The first example's answers file with other answers."""
    text = (EXAMPLES / FIRST / "answers.yaml").read_text(encoding="utf-8")
    text = text.replace("SEV2 — payments are a major feature", severity)
    path = tmp_path / "answers.yaml"
    path.write_text(text.replace(": approve", f": {approval}"), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("severity", "approval"), [("SEV3", "approve"), ("sev3", "reject")])
def test_the_first_example_runs_to_the_end_with_any_valid_answer(
    cli: Cli, tmp_path: Path, severity: str, approval: str
) -> None:
    answers = _answers_file(tmp_path, severity, approval)
    result = cli(*_main_job(FIRST, "--answers-file", answers, "--no-input"))
    assert result.code == 0, result.err
    assert "Severity: SEV3" in result.out
    rejected = approval == "reject"
    assert ("rejected by the IC" in result.out) is rejected
    assert ("approved by the IC" in result.out) is not rejected
    # a rejected proposal leaves the step's revised result, but not the list of actions
    assert "rollback-deploy: roll back checkout to v2.13.2: v2.14.0 introduced" in result.out
    decided = "rejected" if rejected else "approved"
    assert f"— proposed, {decided} by human; nothing was changed" in result.out


def test_a_scripted_runs_outputs_are_said_to_come_from_the_script(cli: Cli) -> None:
    answers = f"examples/incidents/{FIRST}/answers.yaml"
    result = cli(*_main_job(FIRST, "--answers-file", answers, "--no-input"))
    first = result.out.splitlines()[0]
    assert first == (
        "(outputs written by the model script script.yaml, written in advance: "
        "they are not a model's findings)"
    )
    assert "complete" not in result.out.split("Postmortem:")[0]  # the timeline claims no change


def test_a_call_the_script_lacks_stops_the_run_with_one_message_naming_it(
    cli: Cli, tmp_path: Path
) -> None:
    script = tmp_path / "script.yaml"
    text = (EXAMPLES / FIRST / "script.yaml").read_text(encoding="utf-8")
    script.write_text(text.split("step:triage:")[0], encoding="utf-8")  # no triage and after
    answers = f"examples/incidents/{FIRST}/answers.yaml"
    run = ["run", "incident-response", "--evidence", f"examples/incidents/{FIRST}"]
    result = cli(*run, "--model", f"scripted:{script}", "--answers-file", answers, "--no-input")
    assert result.code == 2
    [message] = [line for line in result.err.splitlines() if "stopped" in line]
    assert f"the model script {script} has no reply for call 1 of 'step:triage'" in message
    assert "Traceback" not in result.err
    assert "status: stopped" in result.out
    thread = message.split("skillweave resume ")[1].strip()
    status = cli("status", thread)
    assert "stopped: the model script" in status.out  # the cause, not a bare "failed"
    assert "'step:triage'" in status.out
    script.write_text(text, encoding="utf-8")  # the author adds the missing replies
    resumed = cli("resume", thread, "--no-input")
    assert resumed.code == 3, resumed.err  # it went on, to the rollback's approval
    assert "? [q2] approval (step mitigate)" in resumed.err


def test_a_later_invocation_answers_with_the_same_evidence_and_tools(cli: Cli) -> None:
    paused = cli(*_main_job(FIRST, "--no-input", "--json"))
    assert paused.code == 3, paused.err
    thread = json.loads(paused.out)["thread_id"]
    answers = f"examples/incidents/{FIRST}/answers.yaml"
    done = cli("answer", thread, "--answers-file", answers, "--no-input")
    assert done.code == 0, done.err
    assert "[tools: " in done.err  # the evidence tools were rebuilt for the resumed run


def test_a_malformed_evidence_file_is_a_one_line_input_error(cli: Cli, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for file in (EXAMPLES / FIRST).iterdir():
        (bundle / file.name).write_bytes(file.read_bytes())
    with (bundle / "logs.jsonl").open("a", encoding="utf-8") as logs:
        logs.write('{"level": "error", broken\n')
    result = cli(
        "run",
        "incident-response",
        "--evidence",
        str(bundle),
        "--model",
        f"scripted:{bundle}/script.yaml",
        "--no-input",
    )
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert "logs.jsonl" in line


def test_an_approved_action_is_sent_to_the_action_webhook_once(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = "https://automation.example.test/actions"
    monkeypatch.setenv("SKILLWEAVE_ACTION_WEBHOOK", hook)
    answers = f"examples/incidents/{FIRST}/answers.yaml"
    with respx.mock(assert_all_called=True) as router:
        route = router.post(hook).respond(200, json={"ok": True})
        result = cli(*_main_job(FIRST, "--answers-file", answers, "--no-input"))
    assert result.code == 0, result.err
    assert route.call_count == 1
    sent = json.loads(route.calls.last.request.content)
    assert "rollback" in json.dumps(sent)
    assert "— proposed, approved by human; handed to the action webhook" in result.out


def test_no_action_leaves_a_run_that_is_still_waiting_for_approval(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = "https://automation.example.test/actions"
    monkeypatch.setenv("SKILLWEAVE_ACTION_WEBHOOK", hook)
    with respx.mock(assert_all_called=False) as router:
        route = router.post(hook).respond(200)
        result = cli(*_main_job(FIRST, "--no-input"))
    assert result.code == 3
    assert route.call_count == 0
