"""``skillweave run|answer|resume`` through the real entry point, with scripted models."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from graph.scripts import incident
from scripts import runs

from agent.skill.library import Library
from agent.skill.model import Skill

REPO = Path(__file__).resolve().parents[2]
Cli = Callable[..., Any]


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs, thread sidecars and the default database live in a fresh data dir."""
    home = tmp_path / "home"
    monkeypatch.setenv("SKILLWEAVE_HOME", str(home))
    monkeypatch.delenv("SKILLWEAVE_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return home


@pytest.fixture(scope="module")
def seed() -> Skill:
    return Library([REPO / "skills"]).resolve("incident-response").skill


def _spec(tmp_path: Path, script: runs.Script, name: str = "script.yaml") -> str:
    return runs.write(script, tmp_path / name)


def _json(out: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(out)
    return data


def _paused(cli: Cli, spec: str) -> dict[str, Any]:
    result = cli("run", "incident-response", "--model", spec, "--json", "--no-input")
    assert result.code == 3, result.err
    return _json(result.out)


def _answers_file(tmp_path: Path, answers: dict[str, str]) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers), encoding="utf-8")
    return str(path)


# --- completing, pausing, blocking, failing ------------------------------------------------


def test_a_completed_run_prints_the_four_outputs_and_exits_0(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    result = cli("run", "incident-response", "--model", _spec(tmp_path, runs.happy(seed)))
    assert result.code == 0, result.err
    for heading in ("Severity: SEV2", "Timeline:", "Mitigation:", "Postmortem:"):
        assert heading in result.out
    assert "### Action Items" in result.out  # plain markdown when stdout is not a terminal
    assert "status: completed" in result.out


def test_progress_shows_each_step_on_stderr(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    result = cli("run", "incident-response", "--model", _spec(tmp_path, runs.happy(seed)))
    steps = [line.split()[1] for line in result.err.splitlines() if line.startswith("▸")]
    assert steps == ["severity-classification", "triage", "mitigate", "postmortem"]


def test_a_scripted_model_is_announced_on_stderr(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    spec = _spec(tmp_path, runs.happy(seed))
    result = cli("run", "incident-response", "--model", spec)
    assert f"replies come from a script: {spec.removeprefix('scripted:')}" in result.err


def test_json_output_follows_the_contract_and_stays_quiet(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    result = cli("run", "incident-response", "--model", _spec(tmp_path, runs.happy(seed)), "--json")
    data = _json(result.out)
    assert {"thread_id", "status", "questions", "outputs", "violations", "usage"} <= set(data)
    assert data["status"] == "completed"
    assert set(data["outputs"]) == {"severity", "timeline", "mitigation", "postmortem"}
    assert result.err == ""


def test_without_a_terminal_the_run_stops_at_its_questions_with_exit_3(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, runs.asking(seed))
    result = cli("run", "incident-response", "--model", spec)
    assert result.code == 3
    assert "Waiting for answers (1)" in result.out
    assert f"trigger {runs.severity_trigger(seed)}" in result.out
    assert "choices: SEV2 / SEV3" in result.out


def test_paused_json_lists_questions_with_id_alias_text_trigger_options_and_deadline(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    data = _paused(cli, _spec(tmp_path, runs.asking(seed)))
    [question] = data["questions"]
    assert set(question) == {"id", "alias", "text", "trigger", "options", "deadline"}
    assert question["alias"] == "q1"
    assert question["trigger"] == runs.severity_trigger(seed)
    assert question["options"] == ["SEV2", "SEV3"]


def test_a_blocked_run_exits_4_with_its_violations(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    result = cli("run", "incident-response", "--model", _spec(tmp_path, runs.blocked(seed)))
    assert result.code == 4
    assert "Violations:" in result.out
    assert incident.BLAME in result.out


def test_a_failed_run_exits_1_saying_why_and_how_to_resume(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, runs.failing_triage(seed))
    result = cli("run", "incident-response", "--model", spec, "--thread", "t-fail")
    assert result.code == 1
    assert "overloaded" in result.err
    assert "skillweave resume t-fail" in result.err


def test_resume_continues_a_failed_run_without_repeating_completed_steps(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    failing = _spec(tmp_path, runs.failing_triage(seed), "failing.yaml")
    cli("run", "incident-response", "--model", failing, "--thread", "t-fail")
    rest = runs.happy(seed)
    for done in ("plan", "step:severity-classification"):
        del rest[done]  # calling any of these again would fail the scripted model
    result = cli("resume", "t-fail", "--model", _spec(tmp_path, rest, "rest.yaml"))
    assert result.code == 0, result.err
    assert "Severity: SEV2" in result.out


def test_resume_of_a_paused_run_shows_its_questions_with_exit_3(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    thread = _paused(cli, _spec(tmp_path, runs.asking(seed)))["thread_id"]
    result = cli("resume", thread, "--no-input")
    assert result.code == 3
    assert "choices: SEV2 / SEV3" in result.out


# --- answers ---------------------------------------------------------------------------


def test_answers_file_matched_by_trigger_id_completes_the_run(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    answers = _answers_file(tmp_path, {runs.severity_trigger(seed): "SEV2"})
    spec = _spec(tmp_path, runs.asking(seed))
    result = cli("run", "incident-response", "--model", spec, "--answers-file", answers, "--json")
    assert result.code == 0, result.err
    assert _json(result.out)["status"] == "completed"


def test_answers_file_matched_by_question_text_completes_the_run(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, runs.asking(seed))
    text = _paused(cli, spec)["questions"][0]["text"]
    answers = _answers_file(tmp_path, {text: "SEV3"})
    result = cli("run", "incident-response", "--model", spec, "--answers-file", answers, "--json")
    assert result.code == 0, result.err
    thread = _json(result.out)["thread_id"]
    transcript = _json(cli("transcript", thread).out)
    assert [a["text"] for a in transcript["answers"]] == ["SEV3"]


def test_an_answers_file_without_a_match_leaves_the_run_paused(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    answers = _answers_file(tmp_path, {"some-other-trigger": "yes"})
    spec = _spec(tmp_path, runs.asking(seed))
    result = cli("run", "incident-response", "--model", spec, "--answers-file", answers)
    assert result.code == 3


def test_answer_by_question_id_resumes_a_paused_run(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    paused = _paused(cli, _spec(tmp_path, runs.asking(seed)))
    qid = paused["questions"][0]["id"]
    result = cli("answer", paused["thread_id"], "--answer", f"{qid}=SEV2", "--json")
    assert result.code == 0, result.err
    assert _json(result.out)["outputs"]["severity"] == "SEV2"


def test_a_paused_run_is_answered_in_a_second_process(seed: Skill, tmp_path: Path) -> None:
    spec = _spec(tmp_path, runs.asking(seed))
    env = {**os.environ, "SKILLWEAVE_HOME": str(tmp_path / "proc-home")}

    def skillweave(*argv: str) -> subprocess.CompletedProcess[str]:
        code = "import sys; from agent.cli import main; sys.exit(main(sys.argv[1:]))"
        return subprocess.run(
            [sys.executable, "-c", code, *argv],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = skillweave("run", "incident-response", "--model", spec, "--json")
    assert first.returncode == 3, first.stderr
    paused = _json(first.stdout)
    qid = paused["questions"][0]["id"]
    # no --model: the thread remembers the model it started with
    second = skillweave("answer", paused["thread_id"], "--answer", f"{qid}=SEV2", "--json")
    assert second.returncode == 0, second.stderr
    assert _json(second.stdout)["status"] == "completed"


def test_questions_are_asked_on_a_terminal_and_the_run_goes_on(
    cli: Cli, seed: Skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("2\n"))  # the second choice: SEV3
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    result = cli("run", "incident-response", "--model", _spec(tmp_path, runs.asking(seed)))
    assert result.code == 0, result.err
    assert "choices: SEV2 / SEV3" in result.err
    assert "answer q1 [SEV2/SEV3] (empty to skip)" in result.err
    assert "← q1: SEV3" in result.err


def test_a_question_is_printed_once_in_full_however_long(
    cli: Cli, seed: Skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("SEV3\n"))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    long_region = "eu-west (Frankfurt, Dublin and Paris data centres, all payment providers)"
    result = cli(
        "run",
        "incident-response",
        "--model",
        _spec(tmp_path, runs.asking(seed, region=long_region)),
    )
    assert result.code == 0, result.err
    question = re.findall(r"Classify as SEV2 or SEV3\?", result.err + result.out)
    assert len(question) == 1
    assert long_region in " ".join(result.err.split())  # not cut


def test_an_empty_reply_on_the_terminal_leaves_the_run_paused(
    cli: Cli, seed: Skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("\n"))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    result = cli("run", "incident-response", "--model", _spec(tmp_path, runs.asking(seed)))
    assert result.code == 3


# --- bad input: one line, exit 2 --------------------------------------------------------


def _one_line_error(result: Any) -> str:
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("skillweave: ")
    return str(lines[0])


def test_no_model_configured_says_how_and_names_the_offline_demo(cli: Cli) -> None:
    line = _one_line_error(cli("run", "incident-response"))
    assert "SKILLWEAVE_MODEL" in line
    assert "make demo" in line
    assert "scripted:examples/incidents/" in line


def test_unknown_skill_is_an_input_error(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    line = _one_line_error(cli("run", "no-such-skill", "--model", _spec(tmp_path, {})))
    assert "no-such-skill" in line


def test_unknown_thread_is_an_input_error(cli: Cli, tmp_path: Path) -> None:
    line = _one_line_error(cli("answer", "no-such-thread", "--answer", "q=1"))
    assert "no-such-thread" in line


def test_answering_a_completed_run_is_an_input_error(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    spec = _spec(tmp_path, runs.happy(seed))
    thread = _json(cli("run", "incident-response", "--model", spec, "--json").out)["thread_id"]
    line = _one_line_error(cli("answer", thread, "--answer", "q=1"))
    assert "completed" in line


def test_an_unknown_question_id_is_an_input_error(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    thread = _paused(cli, _spec(tmp_path, runs.asking(seed)))["thread_id"]
    line = _one_line_error(cli("answer", thread, "--answer", "not-asked=SEV2"))
    assert "not-asked" in line


def test_a_malformed_answers_file_is_an_input_error(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    bad = tmp_path / "answers.yaml"
    bad.write_text("severity: [unclosed\n", encoding="utf-8")
    spec = _spec(tmp_path, runs.asking(seed))
    line = _one_line_error(
        cli("run", "incident-response", "--model", spec, "--answers-file", str(bad))
    )
    assert "answers.yaml" in line


def test_an_answers_file_that_is_not_a_mapping_is_an_input_error(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    bad = tmp_path / "answers.json"
    bad.write_text('["SEV2"]', encoding="utf-8")
    spec = _spec(tmp_path, runs.asking(seed))
    line = _one_line_error(
        cli("run", "incident-response", "--model", spec, "--answers-file", str(bad))
    )
    assert "mapping" in line


def test_an_input_without_equals_sign_is_an_input_error(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, runs.happy(seed))
    line = _one_line_error(cli("run", "incident-response", "--model", spec, "--input", "alert"))
    assert "KEY=VALUE" in line


def test_a_missing_evidence_directory_is_an_input_error(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, runs.happy(seed))
    line = _one_line_error(
        cli("run", "incident-response", "--model", spec, "--evidence", str(tmp_path / "nope"))
    )
    assert "--evidence" in line


def test_inputs_from_file_and_flags_reach_the_run(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("alert: checkout 5xx\nservice: checkout\n", encoding="utf-8")
    spec = _spec(tmp_path, runs.happy(seed))
    result = cli(
        "run",
        "incident-response",
        "--model",
        spec,
        "--input-file",
        str(inputs),
        "--input",
        "service=cart",
        "--json",
    )
    thread = _json(result.out)["thread_id"]
    transcript = _json(cli("transcript", thread).out)
    assert transcript["inputs"] == {"alert": "checkout 5xx", "service": "cart"}


def test_starting_a_thread_id_that_exists_is_an_input_error(
    cli: Cli, seed: Skill, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, runs.asking(seed))
    cli("run", "incident-response", "--model", spec, "--thread", "t-1", "--no-input")
    line = _one_line_error(
        cli(
            "run",
            "incident-response",
            "--model",
            _spec(tmp_path, {}, "other.yaml"),
            "--thread",
            "t-1",
        )
    )
    assert "already exists" in line
    assert cli("status", "t-1", "--json").code == 0


def test_resuming_a_completed_run_is_an_input_error(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    spec = _spec(tmp_path, runs.happy(seed))
    thread = _json(cli("run", "incident-response", "--model", spec, "--json").out)["thread_id"]
    line = _one_line_error(cli("resume", thread))
    assert "nothing to resume" in line


def test_an_answer_without_equals_sign_is_an_input_error(cli: Cli) -> None:
    line = _one_line_error(cli("answer", "some-thread", "--answer", "SEV2"))
    assert "QUESTION_ID=TEXT" in line


def test_an_answers_file_may_say_who_answered(cli: Cli, seed: Skill, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        yaml.safe_dump({runs.severity_trigger(seed): {"text": "SEV2", "by": "dana (IC)"}}),
        encoding="utf-8",
    )
    spec = _spec(tmp_path, runs.asking(seed))
    result = cli("run", "incident-response", "--model", spec, "--answers-file", str(path), "--json")
    assert result.code == 0, result.err
    transcript = _json(cli("transcript", _json(result.out)["thread_id"]).out)
    assert [(a["text"], a["by"]) for a in transcript["answers"]] == [("SEV2", "dana (IC)")]
