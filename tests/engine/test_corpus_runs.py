"""Any SKILL.md end to end: every skill by other authors runs to an end, with no script.

The model fills whatever schema a request asks for with the smallest valid value;
on its first call of each step it reports an ambiguity when the skill declares
triggers, so skills with Ask-When-Ambiguous sections pause and are answered. Every
run must end completed, paused-then-answered or blocked, never failed, and the
answers and resumes need only the thread id.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.schema_fill import fill

from agent.engine import api
from agent.errors import MissingDependencyError
from agent.llm.base import ModelRequest, ModelResponse, Usage
from agent.skill.library import Library, SkillSet, discover_files

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
GARDENS = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
SKILLS = [(garden, file) for garden in GARDENS for file in sorted(discover_files(garden))]


class Filler:
    """Answers any request with the smallest value its schema admits (one question per step)."""

    name = "schema-filler"

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def generate(self, request: ModelRequest[Any]) -> ModelResponse[Any]:
        self.calls[request.purpose] += 1
        assert request.schema is not None
        schema = request.schema.model_json_schema()
        value = fill(schema, schema.get("$defs", {}))
        if self.calls[request.purpose] == 1 and "ambiguities" in schema.get("properties", {}):
            report = schema["$defs"].get("AmbiguityReport")
            if report and "enum" in str(report["properties"]["trigger"]):
                value["ambiguities"] = [fill(report, schema["$defs"])]
        output = request.schema.model_validate(value)
        return ModelResponse(
            output=output,
            messages=[],
            model=self.name,
            usage=Usage(prompt_tokens=1, completion_tokens=1, calls=1),
        )

    async def aclose(self) -> None:
        """Nothing to release."""


def _resolve(garden: Path, file: Path) -> tuple[SkillSet | None, str]:
    try:
        return Library([garden]).resolve(str(file)), ""
    except MissingDependencyError as exc:
        return None, str(exc)


def _answer(question: dict[str, Any]) -> str:
    return str(question["options"][0]) if question["options"] else "yes, go ahead"


@pytest.mark.slow
@pytest.mark.skipif(not SKILLS, reason=f"no corpus at {CORPUS}")
async def test_every_corpus_skill_runs_to_an_end_with_only_its_thread_id(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    ends: dict[str, str] = {}
    for garden, file in SKILLS:
        skillset, why = _resolve(garden, file)
        if skillset is None:
            # The corpus is a sample: some skills depend on skills it does not hold.
            assert "is not on the skills path" in why
            ends[str(file.relative_to(CORPUS))] = "missing dependency"
            continue
        result = await api.start(
            skillset, {"request": "do the thing"}, model=Filler(), db=db, data_dir=tmp_path
        )
        paused = 0
        while result.status == "paused" and paused < 10:
            paused += 1
            answers = {q["alias"]: _answer(q) for q in result.questions}
            result = await api.resume(
                result.thread_id, answers, model=Filler(), db=db, data_dir=tmp_path
            )
        assert result.status in ("completed", "blocked"), (file, result)
        ends[str(file.relative_to(CORPUS))] = f"{result.status}{' after answers' if paused else ''}"
        transcript = await api.export_transcript(result.thread_id, db=db, data_dir=tmp_path)
        assert transcript.skill.name == skillset.skill.name
    assert len(ends) == len(SKILLS)
    ran = [end for end in ends.values() if end != "missing dependency"]
    assert len(ran) >= 30
    assert any("after answers" in end for end in ran)
