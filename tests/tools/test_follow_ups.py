"""The example runs do what the skill's success criteria ask of them, through real tool calls.

The IC is named in the channel, the mitigation is checked against error rates, every
postmortem action item is filed in the backlog and the postmortem is shared; each
shows up in the exported transcript as a typed action or a mitigate-step tool call.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent.engine import api
from agent.engine.transcript import Transcript
from agent.plugins import ToolContext
from agent.skill.library import SkillSet
from tools import examples

NAMES = sorted(examples.BUILDERS)
ITEM = re.compile(r"^\s*[-*]\s+\[[ xX]\]\s+(.+?)\s*$", re.MULTILINE)


async def _transcript(seed: SkillSet, name: str, db: str, data_dir: Path) -> Transcript:
    bundle = examples.EXAMPLES / name
    ctx = ToolContext(data_dir=data_dir, thread_id=name, evidence_dir=bundle)
    result, _ = await examples.run_with_answers(seed, bundle, ctx, db, name)
    assert result.status == "completed", result.violations or result.error
    return await api.export_transcript(name, db=db, data_dir=data_dir)


def _step_calls(transcript: Transcript, step: str) -> list[str]:
    return [c.name for s in transcript.steps if s.id == step for c in s.tool_calls]


@pytest.mark.parametrize("name", NAMES)
async def test_the_status_update_names_the_incident_commander(
    seed: SkillSet, name: str, db: str, tmp_path: Path
) -> None:
    transcript = await _transcript(seed, name, db, tmp_path)
    updates = [a.description for a in transcript.actions if a.type == "status-update"]
    assert updates
    assert all(re.search(r"\bIC\b", u) for u in updates)


@pytest.mark.parametrize("name", NAMES)
async def test_the_mitigate_step_checks_the_error_rate_and_the_postmortem_cites_the_recovery(
    seed: SkillSet, name: str, db: str, tmp_path: Path
) -> None:
    transcript = await _transcript(seed, name, db, tmp_path)
    checks = [
        json.loads(c.result)
        for s in transcript.steps
        if s.id == "mitigate"
        for c in s.tool_calls
        if c.name == "query_metric"
    ]
    assert [c["stats"]["metric"] for c in checks] == ["error_rate", "error_rate"]
    split, after = checks
    assert split["stats"]["change"]["ratio"] < 1  # lower after the mitigation than before
    assert after["refs"]
    assert all(f"`{ref}`" in transcript.outputs["postmortem"] for ref in after["refs"])


@pytest.mark.parametrize("name", NAMES)
async def test_every_postmortem_action_item_is_tracked_in_the_backlog(
    seed: SkillSet, name: str, db: str, tmp_path: Path
) -> None:
    transcript = await _transcript(seed, name, db, tmp_path)
    items = ITEM.findall(transcript.outputs["postmortem"])
    tracked = [a.description for a in transcript.actions if a.type == "backlog-item"]
    assert items
    assert tracked == items
    backlog = (tmp_path / "backlog.jsonl").read_text(encoding="utf-8").splitlines()
    # one reply's tool calls run concurrently, so the file's order is not the reply's
    assert sorted(json.loads(line)["title"] for line in backlog) == sorted(items)


@pytest.mark.parametrize("name", NAMES)
async def test_the_postmortem_step_shares_the_postmortem_with_engineering(
    seed: SkillSet, name: str, db: str, tmp_path: Path
) -> None:
    transcript = await _transcript(seed, name, db, tmp_path)
    shared = [a for a in transcript.actions if a.type == "postmortem-share"]
    assert [a.step for a in shared] == ["postmortem"]
    assert shared[0].description.startswith("Postmortem shared with engineering: ")
    assert "share_postmortem" in _step_calls(transcript, "postmortem")
