"""``skillweave validate``: exit codes, human and JSON output, bad input."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus"
SEED = Path("skills/incident-response/SKILL.md")

Cli = Callable[..., Any]  # the ``cli`` fixture: returns code/out/err

GOOD = """---
name: {name}
description: A small skill for tests.
version: "1.0.0"
dependencies: [{deps}]
reasoning_mode: linear
---

# {name}

## Context

Used by tests.
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / name / "SKILL.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def good(root: Path, name: str, deps: str = "") -> Path:
    return write(root, name, GOOD.format(name=name, deps=deps))


def assert_no_traceback(result: Any) -> None:
    assert "Traceback" not in result.out + result.err


def test_project_skills_validate_cleanly(cli: Cli) -> None:
    result = cli("validate", "skills")
    assert result.code == 0, result.out
    assert "0 error(s)" in result.out


def test_corpus_errors_are_only_dependencies_it_does_not_ship(cli: Cli) -> None:
    result = cli("validate", "--json", str(CORPUS / "garden-v3"), str(CORPUS / "garden-v4"))
    records = json.loads(result.out)
    assert len(records) == 55
    rules = {e["rule"] for r in records for e in r["errors"]}
    assert rules <= {"missing-dependency"}


def test_nonexistent_path_is_a_usage_error(cli: Cli) -> None:
    result = cli("validate", "no/such/dir")
    assert result.code == 2
    assert result.err.strip() == "skillweave: no such file or directory: no/such/dir"
    assert result.out == ""


def test_missing_arguments_is_a_usage_error(cli: Cli) -> None:
    assert cli("validate").code == 2


def test_json_output_has_one_record_per_file(cli: Cli) -> None:
    result = cli("validate", "--json", "skills")
    records = json.loads(result.out)
    assert {r["name"] for r in records} == {
        "auditor",
        "constitution",
        "incident-response",
        "scratchpad",
    }
    for record in records:
        assert set(record) == {"path", "name", "ok", "errors", "warnings"}
        assert record["ok"] is True
        assert record["errors"] == []


def test_json_errors_carry_line_message_and_rule(cli: Cli, tmp_path: Path) -> None:
    good(tmp_path, "needs-ghost", deps="ghost")
    result = cli("validate", "--json", str(tmp_path))
    assert result.code == 1
    [record] = json.loads(result.out)
    assert record["ok"] is False
    [error] = record["errors"]
    assert set(error) == {"line", "message", "rule"}
    assert error["rule"] == "missing-dependency"
    assert "ghost" in error["message"]


def test_broken_file_is_reported_and_the_rest_still_validated(cli: Cli, tmp_path: Path) -> None:
    good(tmp_path, "fine")
    write(tmp_path, "broken", "---\nname: broken\ndescription: [oops\n---\n")
    result = cli("validate", "--json", str(tmp_path))
    assert result.code == 1
    by_name = {Path(r["path"]).parent.name: r for r in json.loads(result.out)}
    assert by_name["fine"]["ok"] is True
    assert by_name["broken"]["ok"] is False


def test_dependencies_resolve_against_validated_directories(cli: Cli, tmp_path: Path) -> None:
    good(tmp_path, "base")
    good(tmp_path, "derived", deps="base")
    assert cli("validate", str(tmp_path / "derived" / "SKILL.md")).code == 0


def test_skills_dir_option_supplies_dependencies(cli: Cli, tmp_path: Path) -> None:
    good(tmp_path / "lib", "base")
    target = good(tmp_path / "work", "derived", deps="base")
    assert cli("validate", str(target)).code == 1
    assert cli("validate", "--skills-dir", str(tmp_path / "lib"), str(target)).code == 0


def test_warnings_do_not_fail_validation(cli: Cli, tmp_path: Path) -> None:
    text = GOOD.format(name="warned", deps="") + "\n## Guardrails\n\n## Notes\n\nnone\n"
    path = write(tmp_path, "warned", text)
    result = cli("validate", str(path))
    assert result.code == 0
    assert ": warning: " in result.out


BAD_INPUTS = {
    "malformed-yaml": ("---\nname: bad\ndescription: [oops\n---\n", "error"),
    "missing-frontmatter": ("# Just a heading\n\nNo frontmatter.\n", "error"),
    "unterminated-fence": (
        GOOD.format(name="unterminated-fence", deps="") + "\n```python\nprint('open')\n",
        "unterminated-fence",
    ),
    "duplicate-numbers": (
        GOOD.format(name="duplicate-numbers", deps="").replace("linear", "plan-execute")
        + "\n## Micro-Skills\n\n### 1. One\n\nDo.\n\n### 1. Again\n\nDo.\n"
        + "\n## Guardrails\n\n- Never\n\n## Success Criteria\n\n- [ ] Done\n",
        "duplicate-micro-skill",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_skill_text_prints_location_and_fails(cli: Cli, tmp_path: Path, case: str) -> None:
    text, rule = BAD_INPUTS[case]
    path = write(tmp_path, case, text)
    result = cli("validate", str(path))
    assert result.code == 1
    assert_no_traceback(result)
    error_lines = [line for line in result.out.splitlines() if ": error: " in line]
    assert error_lines
    location, _, _ = error_lines[0].partition(": error: ")
    file_part, _, line_part = location.rpartition(":")
    assert Path(file_part).resolve() == path.resolve()
    assert int(line_part) >= 1
    if rule != "error":
        assert any(line.endswith(f"[{rule}]") for line in error_lines)


def test_non_utf8_file_names_the_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "latin" / "SKILL.md"
    path.parent.mkdir()
    path.write_bytes(b"---\nname: latin\ndescription: caf\xe9\n---\n")
    result = cli("validate", str(path))
    assert result.code == 1
    assert_no_traceback(result)
    assert f"{path}:3: error: " in result.out


def test_ten_megabyte_file_is_rejected_without_reading_it_as_a_skill(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "huge" / "SKILL.md"
    path.parent.mkdir()
    path.write_bytes(b"---\nname: huge\n---\n" + b"a" * (10 * 1024 * 1024))
    result = cli("validate", str(path))
    assert result.code == 1
    assert_no_traceback(result)
    assert f"{path}:1: error: " in result.out


def test_dependency_cycle_is_reported_with_its_path(cli: Cli, tmp_path: Path) -> None:
    good(tmp_path, "ping", deps="pong")
    good(tmp_path, "pong", deps="ping")
    result = cli("validate", str(tmp_path))
    assert result.code == 1
    assert_no_traceback(result)
    assert "ping → pong → ping" in result.out
    assert "[dependency-cycle]" in result.out


def test_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    write(tmp_path, "broken", "---\nname: broken\ndescription: [oops\n---\n")
    script = REPO / ".venv" / "bin" / "skillweave"
    ok = subprocess.run(
        [str(script), "validate", str(SEED)], cwd=REPO, capture_output=True, text=True, check=False
    )
    bad = subprocess.run(
        [str(script), "validate", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    missing = subprocess.run(
        [str(script), "validate", "nowhere"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert (ok.returncode, bad.returncode, missing.returncode) == (0, 1, 2)
    assert "broken/SKILL.md:3: error: " in bad.stdout
    assert missing.stderr == "skillweave: no such file or directory: nowhere\n"
    assert "Traceback" not in bad.stderr + missing.stderr
