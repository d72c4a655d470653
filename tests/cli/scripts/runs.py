"""Scripts for CLI runs of the incident-response seed, written to files for ``--model``.

Built on the graph tests' happy path (``graph.scripts.incident``), so ids follow
the parser. A step that asks repeats the same complete reply: a process that
answers later starts its script from the top, re-runs the step and gets the
same (already answered) question, so the run goes on in either process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from graph.scripts import incident
from graph.scripts.incident import find, reply

from agent.graph.compile import judge_schedule
from agent.skill.model import Skill

Script = dict[str, list[dict[str, Any]]]


def happy(skill: Skill) -> Script:
    """A run that needs no human and completes."""
    return incident.happy(skill, judge_schedule(skill))


def severity_trigger(skill: Skill) -> str:
    """The trigger id of "between two adjacent levels"."""
    return find(skill.ambiguity.triggers, "two adjacent levels")


def asking(skill: Skill, region: str = "eu-west") -> Script:
    """The severity step asks "SEV2 or SEV3?" (about ``region``) before the run goes on."""
    script = happy(skill)
    ask = {
        "trigger": severity_trigger(skill),
        "template": find(skill.ambiguity.questions, "Classify as SEV2 or SEV3"),
        "values": {"N": "1200", "region": region},
    }
    unsure = {
        **incident.step("SEV2 or SEV3?", severity="SEV2", incident_commander="dana"),
        "ambiguities": [ask],
    }
    script["step:severity-classification"] = [reply(unsure), reply(unsure)]
    return script


def failing_triage(skill: Skill) -> Script:
    """The model server fails during triage (after severity classification succeeded)."""
    script = happy(skill)
    script["step:triage"] = [reply(None) | {"error": {"status": 503, "message": "overloaded"}}]
    return script


def blocked(skill: Skill) -> Script:
    """The judge blocks the run after its last step (``incident.BLAME``): the run halts there."""
    script = happy(skill)
    judged = judge_schedule(skill)["postmortem"]
    script["judge:postmortem"] = [reply(incident.judge_blocks(judged))]
    return script


def write(script: Script, path: Path) -> str:
    """Write ``script`` as YAML and return the ``--model`` spec that serves it."""
    path.write_text(yaml.safe_dump(script, sort_keys=False), encoding="utf-8")
    return f"scripted:{path}"
