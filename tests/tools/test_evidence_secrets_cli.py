"""End to end: a real ``skillweave run`` over a bundle with planted secrets stores none of them.

The shipped example runs through the CLI (scripted replies, answers file, no
input) on a copy of its bundle whose evidence, the very records the script's
tool calls read, carries credentials. Afterwards every byte the run left in
``SKILLWEAVE_HOME`` (SQLite database and its WAL, status and action logs, the
sidecar) and the ``skillweave transcript`` output are searched for them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agent.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"
# shapes the export's own redaction does not know, so only the evidence layer can catch them
DB_PASSWORD = "Pg-Hunter2-prod-77"
GITHUB = "ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234"
AWS_KEY = "AKIAQWERTYUIOPASDFGH"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hIn0.c2lnbmF0dXJlLXNlY3JldA"
SECRETS = (DB_PASSWORD, GITHUB, AWS_KEY, JWT)


def _plant(bundle: Path) -> None:
    """Add credentials to records the script's tool calls read, keeping every line number."""
    with (bundle / "incident.md").open("a", encoding="utf-8") as md:
        md.write(f"Runbook DSN: postgres://checkout:{DB_PASSWORD}@db.internal:5432/shop\n")
    logs = (bundle / "logs.jsonl").read_text(encoding="utf-8").splitlines()
    planted = []
    for raw in logs:
        record = json.loads(raw)
        if record["level"] == "error" and record["service"] == "checkout":
            record["message"] += f" (session {JWT}, aws {AWS_KEY})"
        planted.append(json.dumps(record))
    (bundle / "logs.jsonl").write_text("\n".join(planted) + "\n", encoding="utf-8")
    deploys = (bundle / "deploys.csv").read_text(encoding="utf-8")
    (bundle / "deploys.csv").write_text(
        deploys.replace("new payment retry policy", f"new payment retry policy via {GITHUB}"),
        encoding="utf-8",
    )
    traces = json.loads((bundle / "traces.json").read_text(encoding="utf-8"))
    traces[0]["db"] = f"postgres://checkout:{DB_PASSWORD}@db.internal:5432/shop"
    lines = ["[", ",\n".join(" " + json.dumps(t) for t in traces), "]"]
    (bundle / "traces.json").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _bytes_under(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_cli_run_over_planted_secrets_stores_and_shows_none_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SKILLWEAVE_HOME", str(home))
    monkeypatch.delenv("SKILLWEAVE_MODEL", raising=False)
    monkeypatch.delenv("SKILLWEAVE_SKILLS_PATH", raising=False)
    monkeypatch.chdir(REPO)
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, bundle)
    _plant(bundle)

    code = main(
        [
            "run",
            "incident-response",
            "--evidence",
            str(bundle),
            "--model",
            f"scripted:{EXAMPLE / 'script.yaml'}",
            "--answers-file",
            str(EXAMPLE / "answers.yaml"),
            "--no-input",
            "--json",
        ]
    )
    run = capsys.readouterr()
    assert code == 0, run.err
    thread = json.loads(run.out)["thread_id"]
    assert main(["transcript", thread]) == 0
    transcript = capsys.readouterr().out

    stored = _bytes_under(home)
    assert any("sqlite" in name for name in stored)
    assert any("/status/" in name for name in stored)
    assert any("/actions/" in name for name in stored)
    leaks = [(name, s) for name, data in stored.items() for s in SECRETS if s.encode() in data]
    assert leaks == []
    assert [s for s in SECRETS if s in transcript] == []
    assert [s for s in SECRETS if s in run.out + run.err] == []
    # the run did read the planted records: their redaction markers are in the transcript
    assert "[redacted:password]" in transcript
    assert "[redacted:jwt]" in transcript
    assert "[redacted:github_token]" in transcript
