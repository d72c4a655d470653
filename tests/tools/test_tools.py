"""The incident and action tools as the model calls them: cited answers, recorded proposals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.channels import StatusLog
from agent.plugins import ToolContext, load_tools
from agent.skill.library import SkillSet

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
EVIDENCE_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_incident_description", {}),
    ("list_recent_changes", {}),
    ("search_logs", {"level": "error"}),
    ("get_failed_traces", {}),
    ("list_alerts", {}),
]


async def _call(seed: SkillSet, ctx: ToolContext, name: str, args: dict[str, Any]) -> Any:
    tools = {t.name: t for t in load_tools(seed.skill, ctx)}
    return json.loads(await tools[name].ainvoke(args))


def _line(bundle: Path, ref: str) -> str:
    file, line = ref.rsplit(":", 1)
    return (bundle / file).read_text(encoding="utf-8").splitlines()[int(line) - 1]


def test_there_are_three_example_bundles() -> None:
    assert len(NAMES) >= 3


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("tool", "args"), EVIDENCE_CALLS)
async def test_evidence_tools_cite_lines_that_hold_what_they_report(
    seed: SkillSet, tmp_path: Path, name: str, tool: str, args: dict[str, Any]
) -> None:
    bundle = EXAMPLES / name
    ctx = ToolContext(data_dir=tmp_path, thread_id="t", evidence_dir=bundle)
    answer = await _call(seed, ctx, tool, args)
    assert answer["refs"], f"{tool} found nothing in {name}"
    for item in answer["items"]:
        line = _line(bundle, item["ref"])
        if tool != "get_incident_description":
            stamp = next(item[k] for k in ("timestamp", "time") if k in item)
            assert stamp in line


@pytest.mark.parametrize(
    ("name", "service"),
    [
        ("checkout-deploy-spike", "checkout"),
        ("api-capacity-saturation", "search"),
        ("cart-multi-service", "cart"),
    ],
)
async def test_query_metric_reports_each_example_service(
    seed: SkillSet, tmp_path: Path, name: str, service: str
) -> None:
    ctx = ToolContext(data_dir=tmp_path, thread_id="t", evidence_dir=EXAMPLES / name)
    answer = await _call(seed, ctx, "query_metric", {"service": service, "metric": "error_rate"})
    assert answer["total"] > 0
    assert answer["stats"]["max"] >= answer["stats"]["mean"]


async def test_a_bad_window_is_the_tools_answer_not_a_crash(
    seed: SkillSet, context: ToolContext
) -> None:
    from agent.llm._tools import run_tool_calls

    tools = load_tools(seed.skill, context)
    [record] = await run_tool_calls(tools, [("c1", "search_logs", {"since": "last tuesday"})])
    assert record.error
    assert "ISO 8601" in record.result


async def test_a_proposed_rollback_is_only_recorded(seed: SkillSet, context: ToolContext) -> None:
    answer = await _call(
        seed,
        context,
        "propose_rollback",
        {"service": "checkout", "to_version": "v2.13.2", "reason": "bad deploy"},
    )
    assert answer["action"] == {
        "type": "rollback-deploy",
        "description": "roll back checkout to v2.13.2: bad deploy",
        "target": "checkout",
    }
    assert answer["needs_approval"] is True
    assert "no infrastructure was changed" in answer["note"]
    ledger = context.data_dir / "actions" / StatusLog(context.data_dir, "t-1").path.name
    assert json.loads(ledger.read_text(encoding="utf-8"))["action"] == answer["action"]


@pytest.mark.parametrize(
    ("tool", "args", "kind"),
    [
        ("propose_scale_up", {"service": "search", "replicas": 16, "reason": "r"}, "scale-up"),
        ("propose_feature_flag_off", {"flag": "f", "reason": "r"}, "feature-flag-off"),
        (
            "propose_traffic_redirect",
            {"from_region": "eu-west", "to_region": "eu-central", "reason": "r"},
            "redirect-traffic",
        ),
    ],
)
async def test_every_destructive_proposal_needs_approval(
    seed: SkillSet, context: ToolContext, tool: str, args: dict[str, Any], kind: str
) -> None:
    answer = await _call(seed, context, tool, args)
    assert (answer["action"]["type"], answer["needs_approval"]) == (kind, True)


async def test_status_updates_go_to_the_file_channel_by_default(
    seed: SkillSet, context: ToolContext
) -> None:
    answer = await _call(seed, context, "post_status_update", {"message": "investigating"})
    assert answer["delivered"] is True
    assert answer["action"]["type"] == "status-update"
    [entry] = StatusLog(context.data_dir, context.thread_id).entries()
    assert (entry["text"], entry["channel"]) == ("investigating", "file")
