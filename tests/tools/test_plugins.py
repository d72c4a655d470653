"""The plugin loader: a skill gets exactly the tools it asks for; broken plugins name their file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import EvidenceError, PluginError
from agent.plugins import ToolContext, load_tools
from agent.skill.library import SkillSet
from agent.skill.parse import parse_skill

INCIDENT_TOOLS = {
    "get_incident_description",
    "list_recent_changes",
    "query_metric",
    "search_logs",
    "get_failed_traces",
    "list_alerts",
}
ACTION_TOOLS = {
    "propose_rollback",
    "propose_scale_up",
    "propose_feature_flag_off",
    "propose_traffic_redirect",
    "post_status_update",
    "track_action_item",
    "share_postmortem",
}
PLUGIN = '''
from langchain_core.tools import tool


def make_tools(ctx):
    @tool
    def page_oncall(who: str) -> str:
        """Page someone."""
        return who

    return [page_oncall]
'''


def _skill(tmp_path: Path, allowed: str = "", policy: str | None = None):
    folder = tmp_path / "skill"
    folder.mkdir(exist_ok=True)
    front = f"allowed-tools: {allowed}\n" if allowed else ""
    text = f"---\nname: demo\ndescription: d\n{front}---\n# Demo\n"
    (folder / "SKILL.md").write_text(text, encoding="utf-8")
    if policy is not None:
        (folder / "policy.yaml").write_text(policy, encoding="utf-8")
    return parse_skill(text, path=str(folder / "SKILL.md"))


def _plugin_dir(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(text, encoding="utf-8")
    return folder


def test_incident_response_gets_the_incident_and_action_tools(
    seed: SkillSet, context: ToolContext
) -> None:
    names = {t.name for t in load_tools(seed.skill, context)}
    assert names == INCIDENT_TOOLS | ACTION_TOOLS


def test_without_evidence_only_the_action_tools_are_offered(seed: SkillSet, tmp_path: Path) -> None:
    ctx = ToolContext(data_dir=tmp_path, thread_id="t")
    assert {t.name for t in load_tools(seed.skill, ctx)} == ACTION_TOOLS


def test_a_skill_that_asks_for_nothing_gets_nothing(tmp_path: Path, context: ToolContext) -> None:
    assert load_tools(_skill(tmp_path), context) == []


def test_allowed_tools_can_name_single_tools_and_ignore_other_hosts_tools(
    tmp_path: Path, context: ToolContext
) -> None:
    skill = _skill(tmp_path, allowed="search_logs, Read, Bash")
    assert [t.name for t in load_tools(skill, context)] == ["search_logs"]


def test_a_plugin_from_a_tools_dir_is_loaded_by_file_path(
    tmp_path: Path, context: ToolContext
) -> None:
    folder = _plugin_dir(tmp_path, "pager", PLUGIN)
    skill = _skill(tmp_path, allowed="pager")
    assert [t.name for t in load_tools(skill, context, [folder])] == ["page_oncall"]


def test_a_plugin_that_fails_to_import_names_its_file(tmp_path: Path, context: ToolContext) -> None:
    folder = _plugin_dir(tmp_path, "broken", "import not_a_module_anywhere\n")
    with pytest.raises(PluginError, match=r"broken\.py: tool plugin failed to import"):
        load_tools(_skill(tmp_path, allowed="broken"), context, [folder])


def test_a_plugin_without_make_tools_names_its_file(tmp_path: Path, context: ToolContext) -> None:
    folder = _plugin_dir(tmp_path, "empty", "X = 1\n")
    with pytest.raises(PluginError, match=r"empty\.py: a tool plugin must define make_tools"):
        load_tools(_skill(tmp_path, allowed="empty"), context, [folder])


def test_a_policy_tool_nobody_provides_is_an_error(tmp_path: Path, context: ToolContext) -> None:
    skill = _skill(tmp_path, policy="version: 1\ntools: [incidnet]\n")
    with pytest.raises(PluginError, match="'incidnet' are provided by no plugin"):
        load_tools(skill, context)


def test_a_missing_tools_dir_is_an_error(tmp_path: Path, context: ToolContext) -> None:
    with pytest.raises(PluginError, match="does not exist"):
        load_tools(_skill(tmp_path, allowed="pager"), context, [tmp_path / "nope"])


def test_a_malformed_evidence_bundle_fails_before_the_run(seed: SkillSet, tmp_path: Path) -> None:
    (tmp_path / "logs.jsonl").write_text("{not json\n", encoding="utf-8")
    ctx = ToolContext(data_dir=tmp_path / "data", thread_id="t", evidence_dir=tmp_path)
    with pytest.raises(EvidenceError, match=r"logs\.jsonl:1"):
        load_tools(seed.skill, ctx)


def test_channel_and_webhooks_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "SKILLWEAVE_STATUS_CHANNEL": "stdout",
        "SKILLWEAVE_STATUS_WEBHOOK": "https://hooks.example.test/s",
        "SKILLWEAVE_ACTION_WEBHOOK": "https://automation.example.test/a",
    }
    ctx = ToolContext.from_env(tmp_path, "t", env=env)
    assert (ctx.channel, ctx.status_webhook_url, ctx.action_webhook_url) == (
        "stdout",
        "https://hooks.example.test/s",
        "https://automation.example.test/a",
    )


def test_without_settings_status_goes_to_the_file_channel(tmp_path: Path) -> None:
    ctx = ToolContext.from_env(tmp_path, "t", env={})
    assert (ctx.channel, ctx.status_webhook_url, ctx.action_webhook_url) == ("file", None, None)
