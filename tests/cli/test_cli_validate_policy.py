"""``skillweave validate`` also checks the policy.yaml beside a skill against the skill."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "skills" / "incident-response"

Cli = Callable[..., Any]

SKILL = """---
name: demo
description: A small skill for policy tests.
---

# Demo

## Micro-Skills

### 1. Triage

Look.

### 2. Mitigate

Fix.

## Outputs

| Field | Type | Description |
|-------|------|-------------|
| `summary` | `string` | What happened |

## Guardrails

- Triage before mitigation
"""

GOOD_RULE = """version: 1
rules:
  - id: triage-first
    kind: order
    guardrail: triage-before-mitigation
    first: triage
    then: mitigate
    message: Triage must run first
"""


def _skill_dir(root: Path, policy: str) -> Path:
    folder = root / "demo"
    folder.mkdir()
    (folder / "SKILL.md").write_text(SKILL, encoding="utf-8")
    (folder / "policy.yaml").write_text(policy, encoding="utf-8")
    return folder


def test_valid_policy_passes(cli: Cli, tmp_path: Path) -> None:
    result = cli("validate", str(_skill_dir(tmp_path, GOOD_RULE)))
    assert result.code == 0, result.out


def test_shipped_seed_policy_passes(cli: Cli) -> None:
    result = cli("validate", "--json", str(SEED))
    [record] = json.loads(result.out)
    assert record["errors"] == []


def test_unknown_step_is_reported_at_its_policy_line(cli: Cli, tmp_path: Path) -> None:
    folder = _skill_dir(tmp_path, GOOD_RULE.replace("then: mitigate", "then: mitigation"))
    result = cli("validate", str(folder))
    assert result.code == 1
    assert (
        f"{folder / 'policy.yaml'}:7: error: rule 'triage-first': unknown then 'mitigation' "
        "[policy-reference]"
    ) in result.out


def test_unknown_guardrail_is_reported_at_its_policy_line(cli: Cli, tmp_path: Path) -> None:
    folder = _skill_dir(tmp_path, GOOD_RULE.replace("guardrail: triage-before", "guardrail: x"))
    result = cli("validate", "--json", str(folder))
    [record] = json.loads(result.out)
    assert record["errors"] == [
        {
            "line": 5,
            "message": "rule 'triage-first': unknown guardrail 'x-mitigation'",
            "rule": "policy-reference",
            "file": str(folder / "policy.yaml"),
        }
    ]


def test_unknown_output_is_reported(cli: Cli, tmp_path: Path) -> None:
    policy = GOOD_RULE + (
        "  - id: summary-lists-actions\n    kind: output\n"
        "    guardrail: triage-before-mitigation\n    output: report\n    message: m\n"
    )
    result = cli("validate", str(_skill_dir(tmp_path, policy)))
    assert result.code == 1
    assert ":12: error: rule 'summary-lists-actions': unknown output 'report'" in result.out


def test_unknown_judged_guardrail_is_reported(cli: Cli, tmp_path: Path) -> None:
    policy = GOOD_RULE + "judge:\n  guardrails: [triage-before-mitigation, nope]\n"
    result = cli("validate", str(_skill_dir(tmp_path, policy)))
    assert ":10: error: judge.guardrails: unknown guardrail id 'nope'" in result.out


def test_malformed_policy_is_an_error_not_a_traceback(cli: Cli, tmp_path: Path) -> None:
    folder = _skill_dir(tmp_path, "version: 1\nrules:\n  - id: a\n    kind: teleport\n")
    result = cli("validate", str(folder))
    assert result.code == 1
    assert f"{folder / 'policy.yaml'}:" in result.out
    assert "error: malformed policy:" in result.out
    assert "[policy]" in result.out
    assert "Traceback" not in result.out + result.err


def test_invalid_yaml_policy_is_an_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("validate", str(_skill_dir(tmp_path, "rules: [\n")))
    assert result.code == 1
    assert "malformed policy: invalid YAML" in result.out


def test_skill_without_policy_has_no_policy_diagnostics(cli: Cli, tmp_path: Path) -> None:
    folder = _skill_dir(tmp_path, GOOD_RULE)
    (folder / "policy.yaml").unlink()
    result = cli("validate", "--json", str(folder))
    [record] = json.loads(result.out)
    assert all(e["rule"] not in ("policy", "policy-reference") for e in record["errors"])
