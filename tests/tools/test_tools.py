"""The incident and action tools as the model calls them: cited answers, recorded proposals."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
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


def _without_key(record: dict[str, Any]) -> dict[str, Any]:
    """A ledger line less the idempotency key its tool filed it under."""
    assert record.pop("key").startswith(("proposal-", "backlog-", "message-"))
    return record


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


KEY = "sk-" + "a1B2c3D4e5F6g7H8i9J0"  # the shape of an API key, built so no scanner trips


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("post_status_update", {"message": f"rotated {KEY}"}),
        ("share_postmortem", {"title": f"leaked {KEY}"}),
        ("track_action_item", {"title": f"rotate {KEY}", "owner": f"password={KEY}"}),
        ("propose_rollback", {"service": "checkout", "to_version": "v1", "reason": KEY}),
    ],
)
async def test_a_secret_in_model_text_never_leaves_the_run(
    seed: SkillSet, context: ToolContext, tool: str, args: dict[str, Any]
) -> None:
    answer = await _call(seed, context, tool, args)
    written = "".join(p.read_text(encoding="utf-8") for p in context.data_dir.rglob("*.json*"))
    assert KEY not in json.dumps(answer)
    assert KEY not in written
    assert "[redacted]" in json.dumps(answer)


async def test_an_action_item_is_tracked_in_the_backlog_without_approval(
    seed: SkillSet, context: ToolContext
) -> None:
    args = {"title": "Add a canary stage", "owner": "dana", "kind": "preventive"}
    answer = await _call(seed, context, "track_action_item", args)
    assert answer["action"] == {
        "type": "backlog-item",
        "description": "Add a canary stage",
        "target": "backlog",
    }
    assert (answer["status"], answer["owner"], answer["kind"]) == ("tracked", "dana", "preventive")
    assert "needs_approval" not in answer


async def test_action_items_of_every_incident_share_one_backlog_file(
    seed: SkillSet, tmp_path: Path
) -> None:
    for thread in ("inc-1", "inc-2"):
        ctx = ToolContext(data_dir=tmp_path, thread_id=thread, evidence_dir=None)
        await _call(seed, ctx, "track_action_item", {"title": f"fix {thread}"})
    lines = (tmp_path / "backlog.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    assert [(i["thread_id"], i["title"], i["kind"]) for i in items] == [
        ("inc-1", "fix inc-1", "preventive"),
        ("inc-2", "fix inc-2", "preventive"),
    ]


async def test_a_tracked_action_item_is_in_the_threads_action_ledger(
    seed: SkillSet, context: ToolContext
) -> None:
    answer = await _call(seed, context, "track_action_item", {"title": "Alert earlier"})
    ledger = context.data_dir / "actions" / StatusLog(context.data_dir, "t-1").path.name
    assert _without_key(json.loads(ledger.read_text(encoding="utf-8"))) == answer


async def test_a_shared_postmortem_goes_to_the_status_channel(
    seed: SkillSet, context: ToolContext
) -> None:
    answer = await _call(seed, context, "share_postmortem", {"title": "Checkout down"})
    message = "Postmortem shared with engineering: Checkout down"
    assert answer["action"] == {
        "type": "postmortem-share",
        "description": message,
        "target": "file",
    }
    assert answer["delivered"] is True
    [entry] = StatusLog(context.data_dir, context.thread_id).entries()
    assert entry["text"] == message


async def test_a_postmortem_can_be_shared_with_another_audience(
    seed: SkillSet, context: ToolContext
) -> None:
    args = {"title": "Checkout down", "audience": "all of product"}
    answer = await _call(seed, context, "share_postmortem", args)
    assert answer["action"]["description"] == "Postmortem shared with all of product: Checkout down"


async def test_follow_ups_need_no_approval_under_the_skills_policy(seed: SkillSet) -> None:
    from agent.skill.policy import ApprovalRule, load_policy

    policy = load_policy(Path(seed.skill.path))
    assert policy is not None
    gated = {r.action for r in policy.rules if isinstance(r, ApprovalRule)}
    assert not gated & {"backlog-item", "postmortem-share"}


class _KilledBeforeTheLedger:
    """Effects whose ledger never gets written: as if each run died right after the effect."""

    def __init__(self) -> None:
        self.calls = 0

    async def once(
        self, kind: str, key: str, do: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        self.calls += 1
        return await do()


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("track_action_item", {"title": "Alert earlier", "owner": "dana"}),
        ("post_status_update", {"message": "SEV2: checkout degraded"}),
        ("propose_rollback", {"service": "checkout", "to_version": "v2", "reason": "bad"}),
    ],
)
async def test_a_tool_run_again_after_a_kill_between_effect_and_ledger_files_once(
    seed: SkillSet, tmp_path: Path, tool: str, args: dict[str, Any]
) -> None:
    effects = _KilledBeforeTheLedger()
    ctx = ToolContext(data_dir=tmp_path, thread_id="t-1", evidence_dir=None, effects=effects)
    for _ in range(2):
        await _call(seed, ctx, tool, args)
    assert effects.calls == 2
    files = [tmp_path / "actions" / "t-1.jsonl", tmp_path / "backlog.jsonl"]
    files.append(StatusLog(tmp_path, "t-1").path)
    for path in files:
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            assert len(lines) == 1, f"{path.name}: {lines}"
