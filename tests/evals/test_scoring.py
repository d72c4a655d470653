"""Per-criterion scorer plans: skill defaults, suite overrides, fail-closed scoring."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from runs import Run, call

from agent.engine.transcript import Transcript
from agent.evals.checks import Equals, Present
from agent.evals.judge import Judge
from agent.evals.results import CriterionResult, ScoreContext
from agent.evals.scoring import (
    NO_SCORER,
    SCORERS_FILE,
    ScorerConfigError,
    ScorerPlan,
    default_scorers,
    parse_scorers,
    scorer_plan,
    yaml_locator,
)
from agent.llm import ScriptedModel
from agent.skill.library import Library, default_skill_paths, load_skill
from agent.skill.model import Skill

SEVERITY = "incident-has-a-severity-classification-assigned"
MITIGATION = "mitigation-reduced-error-rate-restored-availability"
BLAMELESS = "blameless-postmortem-document-created-within-48"
POSTMORTEM = """## Incident Postmortem
The pipeline let v2.14.0 reach every user without a canary.

### Action Items
- [ ] Add a canary stage for checkout deploys

### Evidence
- `alerts.csv:2`
- `metrics.csv:4`
"""


@pytest.fixture(scope="module")
def skill() -> Skill:
    return Library(default_skill_paths(())).get("incident-response")


@pytest.fixture
def bare_skill(skill: Skill, tmp_path: Path) -> Skill:
    """The incident-response skill copied to a folder without its scorers.yaml."""
    assert skill.path is not None
    folder = tmp_path / "incident-response"
    folder.mkdir()
    shutil.copy(skill.path, folder / "SKILL.md")
    return load_skill(folder / "SKILL.md")


def good_run() -> Transcript:
    """A run that meets every default scorer of incident-response."""
    alerts = {"items": [{"ref": "alerts.csv:2"}, {"ref": "metrics.csv:4"}]}
    recovered = {"items": [], "stats": {"change": {"ratio": 0.1}}}  # error rate down to 10%
    return (
        Run(started=0, ended=40)
        .step(
            "severity-classification",
            0,
            3,
            fields={"severity": "SEV1", "incident_commander": "dana"},
            tool_calls=[call("list_alerts", alerts, service="checkout")],
        )
        .step(
            "mitigate",
            4,
            10,
            fields={"mitigation": "rollback to v2.13.2"},
            actions={"rollback": "roll back checkout", "status-update": "IC: dana. Rolling back."},
            tool_calls=[call("query_metric", recovered), call("post_status_update")],
        )
        .step(
            "postmortem",
            11,
            30,
            fields={"postmortem": POSTMORTEM},
            tool_calls=[call("track_action_item"), call("share_postmortem")],
        )
        .build(
            outputs={
                "severity": "SEV1",
                "timeline": [
                    "10:00 detected",
                    "10:03 SEV1, IC dana",
                    "10:08 v2.14.0 deploy identified",
                    "10:10 rolled back",
                ],
                "mitigation": "rollback to v2.13.2",
                "postmortem": POSTMORTEM,
            }
        )
    )


async def score(plan: ScorerPlan, run: Transcript, **expected: Any) -> dict[str, CriterionResult]:
    results = await plan.score(run, ScoreContext(plan.skill, expected))
    return {r.key: r for r in results}


def only(skill: Skill, criterion: str, *checks: dict[str, Any]) -> ScorerPlan:
    """A plan scoring ``criterion`` with ``checks`` and nothing else."""
    parts = parse_scorers({criterion: list(checks)}, skill, lambda loc: "test")
    return ScorerPlan(skill, parts)


# --- the skill's defaults --------------------------------------------------------------


def test_the_default_mapping_covers_all_nine_criteria(skill: Skill) -> None:
    defaults = default_scorers(skill)
    assert len(skill.success_criteria) == 9
    assert list(defaults) == [c.id for c in skill.success_criteria]
    assert all(defaults.values())


async def test_a_good_run_passes_every_default_criterion(skill: Skill) -> None:
    results = await score(scorer_plan(skill), good_run())
    failed = {k: r.comment for k, r in results.items() if not r.passed}
    assert failed == {}
    assert all(r.score == 1.0 for r in results.values())


async def test_results_follow_the_skills_criteria_order(skill: Skill) -> None:
    results = await scorer_plan(skill).score(good_run(), ScoreContext(skill, {}))
    assert [r.key for r in results] == [c.id for c in skill.success_criteria]


def test_a_skill_without_scorers_yaml_has_no_defaults(bare_skill: Skill) -> None:
    assert default_scorers(bare_skill) == {}


async def test_a_criterion_without_scorer_is_errored(bare_skill: Skill) -> None:
    results = await score(scorer_plan(bare_skill), good_run())
    assert len(results) == 9
    for result in results.values():
        assert (result.passed, result.score, result.error) == (False, 0.0, NO_SCORER)


async def test_with_a_judge_a_criterion_without_scorer_is_judged_on_its_text(
    bare_skill: Skill,
) -> None:
    from agent.llm import ScriptedModel

    verdict = {"output": {"reasoning": "The text says so.", "passed": True, "score": 1.0}}
    script = {f"eval-judge:{c.id}": [verdict] for c in bare_skill.success_criteria}
    judge = ScriptedModel(script)
    results = await scorer_plan(bare_skill).score(
        good_run(), ScoreContext(bare_skill, {}, judge=judge)
    )
    assert [r.passed for r in results] == [True] * len(bare_skill.success_criteria)
    assert all(r.error is None for r in results)
    judge.assert_complete()  # one judge call per criterion, on the criterion's own text


def test_a_broken_scorers_yaml_names_the_file_and_line(bare_skill: Skill) -> None:
    assert bare_skill.path is not None
    file = Path(bare_skill.path).parent / SCORERS_FILE
    file.write_text(f"{SEVERITY}: [present: $.outputs.severity\n", encoding="utf-8")
    with pytest.raises(ScorerConfigError, match=rf"^{re.escape(str(file))}:2: not valid YAML"):
        default_scorers(bare_skill)


def test_a_mistake_in_scorers_yaml_names_its_file_and_line(bare_skill: Skill) -> None:
    assert bare_skill.path is not None
    file = Path(bare_skill.path).parent / SCORERS_FILE
    file.write_text(f"{SEVERITY}:\n  - present: $.outputs[\n", encoding="utf-8")
    with pytest.raises(
        ScorerConfigError, match=rf"^{re.escape(str(file))}:2: {SEVERITY}: present: .*bad JSONPath"
    ):
        default_scorers(bare_skill)


def test_default_is_only_allowed_in_a_suite(skill: Skill) -> None:
    with pytest.raises(ScorerConfigError) as caught:
        parse_scorers({SEVERITY: ["default"]}, skill, lambda loc: "scorers.yaml:3")
    assert str(caught.value).startswith(f"scorers.yaml:3: {SEVERITY}: each check is a one-key")
    assert "`default`" not in str(caught.value)


# --- suite overrides -------------------------------------------------------------------


def test_a_suite_override_replaces_a_criterion(skill: Skill) -> None:
    plan = scorer_plan(
        skill, {SEVERITY: [{"equals": {"path": "$.outputs.severity", "value": "SEV1"}}]}
    )
    (part,) = plan.parts[SEVERITY]
    assert part.kind == "equals"
    assert part.spec == Equals(path="$.outputs.severity", value="SEV1")
    assert plan.parts[MITIGATION] == default_scorers(skill)[MITIGATION]


def test_default_in_a_suite_list_expands_to_the_default_checks_plus_the_extra(skill: Skill) -> None:
    extra = {
        "equals": {"path": "$.actions[*].type", "expected": "mitigation_actions", "collect": True}
    }
    plan = scorer_plan(skill, {MITIGATION: ["default", extra]})
    defaults = default_scorers(skill)[MITIGATION]
    assert plan.parts[MITIGATION][:-1] == defaults
    assert plan.parts[MITIGATION][-1].kind == "equals"


def test_default_for_a_criterion_the_skill_does_not_score_is_an_error(bare_skill: Skill) -> None:
    with pytest.raises(ScorerConfigError, match=f"{SEVERITY}: the skill has no default"):
        scorer_plan(bare_skill, {SEVERITY: ["default"]})


def suite_file(tmp_path: Path, scorers: str) -> tuple[Any, Any]:
    text = f"skill: incident-response\nrepeats: 1\nscorers:\n{scorers}"
    file = tmp_path / "suite.yaml"
    file.write_text(text, encoding="utf-8")
    return yaml.safe_load(text)["scorers"], yaml_locator(file, text)


def test_an_unknown_criterion_names_the_file_line_and_lists_the_criteria(
    skill: Skill, tmp_path: Path
) -> None:
    raw, locate = suite_file(
        tmp_path, f"  {SEVERITY}:\n    - default\n  severity-is-right:\n    - present: $.outputs\n"
    )
    with pytest.raises(ScorerConfigError) as caught:
        scorer_plan(skill, raw, locate)
    message = str(caught.value)
    assert message.startswith(  # line 7: where the unknown criterion's checks begin
        f"{tmp_path / 'suite.yaml'}:7: unknown criterion 'severity-is-right'; "
    )
    assert "incident-response's criteria are " in message
    assert all(c.id in message for c in skill.success_criteria)


def test_a_check_that_is_not_a_one_key_mapping_names_the_file_and_line(
    skill: Skill, tmp_path: Path
) -> None:
    raw, locate = suite_file(
        tmp_path,
        f"  {SEVERITY}:\n    - present: $.outputs.severity\n"
        "      in: {path: $.outputs.severity, values: [SEV1]}\n",
    )
    with pytest.raises(ScorerConfigError) as caught:
        scorer_plan(skill, raw, locate)
    assert str(caught.value).startswith(
        f"{tmp_path / 'suite.yaml'}:5: {SEVERITY}: each check is a one-key mapping with one of "
    )
    assert "(or `default` in a suite)" in str(caught.value)


def test_an_unknown_check_kind_is_rejected(skill: Skill, tmp_path: Path) -> None:
    raw, locate = suite_file(tmp_path, f"  {SEVERITY}:\n    - exists: $.outputs.severity\n")
    with pytest.raises(ScorerConfigError, match=r"suite\.yaml:5: .*one-key mapping with one of"):
        scorer_plan(skill, raw, locate)


def test_a_malformed_check_names_its_line_criterion_and_field(skill: Skill, tmp_path: Path) -> None:
    raw, locate = suite_file(
        tmp_path,
        f"  {BLAMELESS}:\n    - within:\n        from: started\n        to: ended\n"
        "        max: soon\n",
    )
    with pytest.raises(ScorerConfigError) as caught:
        scorer_plan(skill, raw, locate)
    assert str(caught.value) == (
        f"{tmp_path / 'suite.yaml'}:8: {BLAMELESS}: within: max: bad duration 'soon': "
        "use e.g. 90s, 5m, 48h, 2d or seconds"
    )


def test_scorers_that_are_not_a_mapping_are_rejected(skill: Skill) -> None:
    with pytest.raises(ScorerConfigError, match="scorers must map criterion ids to checks"):
        scorer_plan(skill, [{"present": "$.outputs"}])


def test_a_single_check_needs_no_list(skill: Skill) -> None:
    plan = scorer_plan(skill, {SEVERITY: {"present": "$.outputs.severity"}})
    assert plan.parts[SEVERITY][0].spec == Present(path="$.outputs.severity")


def test_a_judge_is_configured_like_a_check(skill: Skill) -> None:
    plan = scorer_plan(skill, {BLAMELESS: ["default", {"judge": "Naming a person is blame."}]})
    assert plan.parts[BLAMELESS][-1].spec == Judge(instructions="Naming a person is blame.")


# --- scoring a criterion ---------------------------------------------------------------


async def test_a_criterions_score_is_the_mean_of_its_checks(skill: Skill) -> None:
    plan = only(
        skill,
        SEVERITY,
        {"present": "$.outputs.severity"},
        {"in": {"path": "$.outputs.severity", "values": ["SEV1", "SEV2"]}},
        {"equals": {"path": "$.outputs.severity", "value": "SEV3"}},
    )
    result = (await score(plan, good_run()))[SEVERITY]
    assert not result.passed
    assert result.error is None
    assert result.score == pytest.approx(2 / 3)
    assert result.comment == (
        "ok present: $.outputs.severity is set; "
        "ok in: $.outputs.severity in ['SEV1', 'SEV2']; "
        "FAIL equals: $.outputs.severity is 'SEV1', want 'SEV3'"
    )


async def test_a_criterion_passes_when_every_check_passes(skill: Skill) -> None:
    plan = only(skill, SEVERITY, {"present": "$.outputs.severity"})
    result = (await score(plan, good_run()))[SEVERITY]
    assert (result.passed, result.score, result.error) == (True, 1.0, None)


async def test_evidence_pointers_are_reported(skill: Skill) -> None:
    plan = only(
        skill,
        SEVERITY,
        {"present": "$.outputs.severity"},
        {"within": {"from": "started", "to": {"field": "severity"}, "max": "5m"}},
    )
    result = (await score(plan, good_run()))[SEVERITY]
    assert result.evidence == [
        "$.started_at",
        "$.steps[?@.id == 'severity-classification'].fields.severity",
        "$['outputs']['severity']",
    ]


async def test_an_errored_check_makes_the_criterion_errored_even_if_others_pass(
    skill: Skill,
) -> None:
    plan = only(
        skill,
        SEVERITY,
        {"present": "$.outputs.severity"},
        {"equals": {"path": "$.outputs.severity", "expected": "severity"}},
    )
    result = (await score(plan, good_run()))[SEVERITY]
    assert not result.passed
    assert result.error == "equals: the scenario has no expected.severity"
    assert result.score == 0.5
    assert (await score(plan, good_run(), severity="SEV1"))[SEVERITY].passed


async def test_criteria_a_plan_leaves_out_are_errored_not_skipped(skill: Skill) -> None:
    results = await score(only(skill, SEVERITY, {"present": "$.outputs.severity"}), good_run())
    assert results[SEVERITY].passed
    assert results[MITIGATION].error == NO_SCORER


async def test_a_judge_without_a_model_errors_its_criterion(skill: Skill) -> None:
    plan = only(skill, BLAMELESS, {"present": "$.outputs.postmortem"}, {"judge": None})
    result = (await score(plan, good_run()))[BLAMELESS]
    assert not result.passed
    assert result.error == (
        "judge: no judge model configured (--judge-model or judge_model in suite.yaml)"
    )


async def test_a_judges_graded_score_counts_in_the_mean(skill: Skill) -> None:
    plan = only(skill, BLAMELESS, {"present": "$.outputs.postmortem"}, {"judge": None})
    judge = ScriptedModel(
        {
            f"eval-judge:{BLAMELESS}": [
                {"output": {"reasoning": "Mostly blameless.", "passed": True, "score": 0.5}}
            ]
        }
    )
    results = await plan.score(good_run(), ScoreContext(skill, {}, judge=judge))
    result = next(r for r in results if r.key == BLAMELESS)
    assert result.passed
    assert result.score == 0.75
    assert result.comment.endswith("ok judge: judge: Mostly blameless.")


# --- a suite's own checks beyond the criteria ---------------------------------------------


def asked_run(*triggers: str) -> Transcript:
    run = Run()
    for minute, trigger in enumerate(triggers):
        run.question(f"q{minute}", minute, trigger)
    return run.build()


async def test_suite_checks_are_scored_after_the_criteria(skill: Skill) -> None:
    checks = {"asks-as-expected": [{"asked": {"expected": "questions", "only": True}}]}
    plan = scorer_plan(skill, suite_checks=checks)
    ctx = ScoreContext(skill, {"questions": ["sev-ambiguous"]})
    results = await plan.score(asked_run("sev-ambiguous"), ctx)
    assert [r.key for r in results][-1] == "asks-as-expected"
    assert len(results) == len(skill.success_criteria) + 1
    assert results[-1].passed


async def test_a_suite_check_fails_like_a_criterion(skill: Skill) -> None:
    checks = {"asks-as-expected": [{"asked": {"expected": "questions", "only": True}}]}
    plan = scorer_plan(skill, suite_checks=checks)
    results = await plan.score(asked_run("other"), ScoreContext(skill, {"questions": []}))
    assert not results[-1].passed
    assert "also asked for other" in results[-1].comment


@pytest.mark.parametrize("name", ["Asks", "asks when", SEVERITY])
def test_a_suite_check_needs_a_slug_name_that_is_not_a_criterion(skill: Skill, name: str) -> None:
    with pytest.raises(ScorerConfigError, match="must be a lowercase slug"):
        scorer_plan(skill, suite_checks={name: [{"present": "$.outputs"}]})


def test_a_suite_check_with_no_checks_is_rejected(skill: Skill) -> None:
    with pytest.raises(ScorerConfigError, match="asks: no checks listed"):
        scorer_plan(skill, suite_checks={"asks": []})
