"""Each example bundle runs the real incident-response graph to the end, offline.

The run uses the example's scripted model, the real tools over its bundle, the
shipped policy and a SQLite database, answering questions from its answers file
as they come, the way ``skillweave run --answers-file`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.engine import api
from agent.plugins import ToolContext
from agent.skill.library import SkillSet
from tools import examples

NAMES = sorted(examples.BUILDERS)


async def _run(
    seed: SkillSet, name: str, db: str, data_dir: Path
) -> tuple[api.RunResult, list[dict[str, Any]]]:
    bundle = examples.EXAMPLES / name
    ctx = ToolContext(data_dir=data_dir, thread_id=name, evidence_dir=bundle)
    return await examples.run_with_answers(seed, bundle, ctx, db, name)


@pytest.mark.parametrize("name", NAMES)
def test_example_files_match_their_builder(name: str) -> None:
    script, answers = examples.render(name)
    folder = examples.EXAMPLES / name
    assert (folder / "script.yaml").read_text(encoding="utf-8") == script
    assert (folder / "answers.yaml").read_text(encoding="utf-8") == answers


@pytest.mark.parametrize("name", NAMES)
async def test_example_runs_to_completed_with_the_four_outputs(
    seed: SkillSet, name: str, db: str, tmp_path: Path
) -> None:
    result, _ = await _run(seed, name, db, tmp_path)
    assert result.status == "completed", result.violations or result.error
    assert set(result.outputs) == {"severity", "timeline", "mitigation", "postmortem"}


async def test_first_example_asks_a_question_and_an_approval(
    seed: SkillSet, db: str, tmp_path: Path
) -> None:
    _, asked = await _run(seed, "checkout-deploy-spike", db, tmp_path)
    assert [q["kind"] for q in asked] == ["clarify", "approval"]
    assert asked[0]["options"] == ["SEV2", "SEV3"]


@pytest.mark.parametrize("name", NAMES)
async def test_postmortem_links_every_evidence_ref_the_tools_cited(
    seed: SkillSet, name: str, db: str, tmp_path: Path
) -> None:
    result, _ = await _run(seed, name, db, tmp_path)
    values, _ = await api.read_state(name, db=db)
    assert values["evidence"]
    assert all(f"`{ref}`" in result.outputs["postmortem"] for ref in values["evidence"])


@pytest.mark.parametrize("name", NAMES)
async def test_tool_proposed_actions_reach_the_rules_and_change_nothing(
    seed: SkillSet, name: str, db: str, tmp_path: Path
) -> None:
    await _run(seed, name, db, tmp_path)
    values, _ = await api.read_state(name, db=db)
    follow_ups = {"status-update", "backlog-item", "postmortem-share"}  # no approval needed
    destructive = [a for a in values["actions"] if a["type"] not in follow_ups]
    assert destructive
    approved = {qid for qid, a in values["approvals"].items() if a["approved"]}
    assert all(any(f":{a['id']}:" in qid for qid in approved) for a in destructive)
