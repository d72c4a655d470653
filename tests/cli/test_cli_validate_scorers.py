"""``skillweave validate`` also checks the eval scorers.yaml beside a skill against its criteria."""

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
description: A small skill for scorer tests.
---

# Demo

## Outputs

| Field | Type | Description |
|-------|------|-------------|
| `summary` | `string` | What happened |

## Success Criteria

- [ ] A summary was written
"""

GOOD = "a-summary-was-written:\n  - present: $.outputs.summary\n"


def _skill_dir(root: Path, scorers: str) -> Path:
    folder = root / "demo"
    folder.mkdir()
    (folder / "SKILL.md").write_text(SKILL, encoding="utf-8")
    (folder / "scorers.yaml").write_text(scorers, encoding="utf-8")
    return folder


def test_valid_scorers_pass(cli: Cli, tmp_path: Path) -> None:
    result = cli("validate", str(_skill_dir(tmp_path, GOOD)))
    assert result.code == 0, result.out


def test_shipped_seed_scorers_pass(cli: Cli) -> None:
    [record] = json.loads(cli("validate", "--json", str(SEED)).out)
    assert record["errors"] == []


def test_unknown_criterion_is_reported_in_the_scorers_file(cli: Cli, tmp_path: Path) -> None:
    folder = _skill_dir(tmp_path, GOOD + "a-report-was-filed:\n  - present: $.x\n")
    [record] = json.loads(cli("validate", "--json", str(folder)).out)
    [error] = record["errors"]
    assert error["file"] == str(folder / "scorers.yaml")
    assert error["rule"] == "scorers"
    assert error["message"].startswith("unknown criterion 'a-report-was-filed'")


def test_a_bad_check_is_reported_at_its_line(cli: Cli, tmp_path: Path) -> None:
    folder = _skill_dir(tmp_path, GOOD + "  - count: {path: $.outputs.summary, min: -1}\n")
    result = cli("validate", str(folder))
    assert result.code == 1
    assert f"{folder / 'scorers.yaml'}:3: error: a-summary-was-written: count: min:" in result.out


def test_malformed_yaml_is_an_error_not_a_traceback(cli: Cli, tmp_path: Path) -> None:
    folder = _skill_dir(tmp_path, "a-summary-was-written: [\n")
    result = cli("validate", str(folder))
    assert result.code == 1
    assert f"{folder / 'scorers.yaml'}:" in result.out
    assert "not valid YAML" in result.out
    assert "Traceback" not in result.out + result.err
