"""``skillweave skills list|show``: what is on the skills path and how it parsed."""

from __future__ import annotations

import argparse
from typing import Any

from agent.cli._common import EXIT_OK, display_path, open_library, print_json, warn
from agent.errors import SkillResolutionError
from agent.skill.library import Library, SkillSet
from agent.skill.model import Skill


def run_list(args: argparse.Namespace) -> int:
    """One row per parseable skill; broken or shadowed files are noted on stderr."""
    library = open_library(args)
    rows = [_summary(skill) for skill in library.iter_skills()]
    for problem in library.problems:
        warn(str(problem))
    if args.json:
        print_json(rows)
        return EXIT_OK
    columns = ("name", "version", "reasoning_mode", "skill_type", "micro_skills", "path")
    table = [
        columns,
        *(tuple(str(r[c] if r[c] is not None else "-") for c in columns) for r in rows),
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def _summary(skill: Skill) -> dict[str, Any]:
    return {
        "name": skill.name,
        "version": skill.version,
        "reasoning_mode": skill.reasoning_mode,
        "skill_type": skill.skill_type,
        "micro_skills": len(skill.micro_skills),
        "path": display_path(skill.path),
    }


def run_show(args: argparse.Namespace) -> int:
    """The parsed model plus how it resolves against the current skills path."""
    library = open_library(args)
    skill = library.find(args.skill)
    resolved: SkillSet | None = None
    resolution_error: str | None = None
    try:
        resolved = library.resolve(args.skill)
    except SkillResolutionError as exc:
        resolution_error = str(exc)
    if args.json:
        print_json(_show_json(skill, resolved, resolution_error, library))
    else:
        _print_show(skill, resolved, resolution_error)
    return EXIT_OK


def _show_json(
    skill: Skill, resolved: SkillSet | None, error: str | None, library: Library
) -> dict[str, Any]:
    data = skill.model_dump(mode="json", by_alias=True)
    data["path"] = display_path(skill.path)
    data["resolved_dependencies"] = (
        [{"name": s.name, "path": display_path(s.path)} for s in resolved.dependencies]
        if resolved
        else []
    )
    references = resolved.references if resolved else tuple(library.references(skill))
    data["references"] = [
        {"name": r.name, "kind": r.kind, "line": r.line, "available": r.available}
        for r in references
    ]
    data["resolution_error"] = error
    return data


def _print_show(skill: Skill, resolved: SkillSet | None, error: str | None) -> None:
    print(f"{skill.name} {skill.version or ''}".rstrip())
    print(f"  path:        {display_path(skill.path)}")
    print(f"  mode:        {skill.reasoning_mode or '-'}  type: {skill.skill_type or '-'}")
    print(f"  description: {' '.join(skill.description.split())}")
    if resolved:
        deps = ", ".join(s.name for s in resolved.dependencies) or "none"
        print(f"  depends on:  {deps}")
    if error:
        print(f"  resolution:  {error}")
    for ms in skill.micro_skills:
        mode = f" [{ms.mode}]" if ms.mode else ""
        invokes = f" → {', '.join(ms.invokes)}" if ms.invokes else ""
        print(f"  {ms.number}. {ms.title}{mode}{invokes}")
    counts = (
        f"{len(skill.guardrails)} guardrails, {len(skill.ambiguity.triggers)} triggers, "
        f"{len(skill.ambiguity.questions)} questions, {len(skill.decision_criteria)} decisions, "
        f"{len(skill.success_criteria)} success criteria, {len(skill.failure_modes)} failure modes"
    )
    print(f"  {counts}")
    if resolved and resolved.references:
        print("  references:")
        for r in resolved.references:
            status = "available" if r.available else "not available"
            print(f"    {r.kind} {r.name} (line {r.line}, {status})")
