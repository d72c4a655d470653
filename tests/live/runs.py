"""The live tier's runs: which skills, on what inputs, and how every question is answered.

Shared by the live tests (a real llama-cpp-python server, recording cassettes) and
the default suite's replay of those cassettes, so both drive a run the same way:
start, then answer every question with its first choice ("approve" for an
approval, "yes" when there is no choice) until the run stops pausing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.engine import api
from agent.llm._usage import estimate_tokens
from agent.llm.base import ChatModel
from agent.skill.library import SkillSet

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
CASSETTES = Path(__file__).resolve().parent / "cassettes"
ENDINGS = ("completed", "paused-then-answered", "blocked")
"""How a live run may end; "failed" never is one."""


@dataclass(frozen=True)
class LiveRun:
    """One skill run end to end against the real model."""

    name: str
    skill: str
    """A skill name on the skills path, or a path to a SKILL.md (a corpus file)."""
    inputs: dict[str, Any]
    evidence: str | None = None

    @property
    def skill_ref(self) -> str | Path:
        """What :func:`api.start` takes: the name, or the corpus file's path."""
        return self.skill if "/" not in self.skill else CORPUS / self.skill

    @property
    def cassette(self) -> Path:
        """Where this run's recording is kept."""
        return CASSETTES / f"{self.name}.json"

    @property
    def facts(self) -> Path:
        """The recorded run's end status and numbers, checked again on replay."""
        return CASSETTES / f"{self.name}.run.json"


RUNS = (
    LiveRun(
        "incident-response",
        "incident-response",
        {
            "incident": "checkout 5xx rate above 5% after the morning deploy",
            "detected_at": "2026-11-20T10:03:00Z",
        },
        evidence="examples/incidents/checkout-deploy-spike",
    ),
    # Two corpus skills (Apache-2.0, test data) with four micro-skills each, one per format.
    LiveRun(
        "naming-conventions",
        "garden-v4/100-engineering/80-collaboration/naming-conventions/SKILL.md",
        {
            "file_purpose": "a script developers run to pull every repository of the team",
            "existing_names": ["build-site", "scale-bench"],
        },
    ),
    LiveRun(
        "librarian",
        "garden-v3/00-foundation/librarian.md",
        {"user_request": "I want to reviw my code for security problms"},
    ),
)


ANSWERED_AT = "2026-11-20T10:05:00Z"
"""When every answer is said to be given. The next step's prompt shows the model each
answer with its time, so an answer stamped with the clock would make a replayed run
send requests that differ from the recording (in ``human-answers``' ``at``)."""


def answer(question: dict[str, Any]) -> dict[str, str]:
    """The first choice offered ("approve" for an approval), else a plain yes."""
    options = list(question.get("options") or [])
    return {"text": str(options[0]) if options else "yes", "at": ANSWERED_AT}


@dataclass
class Outcome:
    """How a driven run ended and what it cost."""

    thread_id: str
    status: str
    ending: str
    prompt_tokens: int
    calls: int
    questions: list[str] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        """What a replay must reproduce."""
        return {
            "status": self.status,
            "ending": self.ending,
            "prompt_tokens": self.prompt_tokens,
            "calls": self.calls,
            "questions": self.questions,
        }


async def drive(
    run: LiveRun, model: ChatModel, *, db: str, data_dir: Path, max_rounds: int = 10
) -> Outcome:
    """Start ``run`` with ``model`` and answer its questions until it stops pausing."""
    evidence = REPO / run.evidence if run.evidence else None
    result = await api.start(
        run.skill_ref, run.inputs, model=model, evidence=evidence, db=db, data_dir=data_dir
    )
    asked: list[str] = []
    rounds = 0
    while result.status == "paused" and rounds < max_rounds:
        asked += [str(q["id"]) for q in result.questions]
        answers = {q["id"]: answer(q) for q in result.questions}
        result = await api.resume(result.thread_id, answers, model=model, db=db, data_dir=data_dir)
        rounds += 1
    total = result.usage.get("total", {})
    ending = "paused-then-answered" if asked and result.status == "completed" else result.status
    return Outcome(
        thread_id=result.thread_id,
        status=result.status,
        ending=ending if result.status != "failed" else f"failed: {result.error}",
        prompt_tokens=int(total.get("prompt_tokens", 0)),
        calls=int(total.get("calls", 0)),
        questions=asked,
    )


def baseline_tokens(skillset: SkillSet, calls: int) -> int:
    """The naive prompt cost: the whole skill and its dependencies' text in every call."""
    texts = [
        Path(s.path).read_text(encoding="utf-8")
        for s in (skillset.skill, *skillset.dependencies)
        if s.path
    ]
    return estimate_tokens("\n\n".join(texts)) * calls


def sent_tokens(cassette: Path) -> int:
    """Our prompts by the baseline's own estimate: the messages of every answered request."""
    total = 0
    for exchange in json.loads(cassette.read_text(encoding="utf-8"))["interactions"]:
        if exchange["response"]["status"] < 300:
            messages = exchange["request"]["body"]["messages"]
            total += estimate_tokens("\n".join(str(m.get("content") or "") for m in messages))
    return total


def call_target(skillset: SkillSet) -> int:
    """The calls a run should need at most: one per micro-skill plus three (plan, judge, audit)."""
    return len(skillset.skill.micro_skills) + 3


def write_facts(run: LiveRun, facts: dict[str, Any]) -> None:
    """Keep a recorded run's facts beside its cassette."""
    run.facts.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")


def read_facts(run: LiveRun) -> dict[str, Any]:
    """The facts recorded with a cassette."""
    data: dict[str, Any] = json.loads(run.facts.read_text(encoding="utf-8"))
    return data
