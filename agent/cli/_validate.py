"""``skillweave validate``: parse, lint and resolve skill files; fail on any error."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.cli._common import (
    EXIT_ERRORS,
    EXIT_OK,
    display_path,
    open_library,
    print_json,
    skills_options,
)
from agent.errors import (
    DependencyCycleError,
    MissingDependencyError,
    SkillParseError,
    SkillResolutionError,
    UserError,
)
from agent.skill.library import SKILL_FILE, Library, discover_files, load_skill
from agent.skill.lint import lint
from agent.skill.model import Diagnostic

# Rule names for problems found outside the model's own diagnostics.
_PARSE_RULE = "parse"
_RESOLUTION_RULE = "resolution"


@dataclass
class FileReport:
    """Everything validate found in one file."""

    path: Path
    name: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` record: {path, name, ok, errors, warnings}."""

        def items(diags: list[Diagnostic]) -> list[dict[str, Any]]:
            return [{"line": d.line, "message": d.message, "rule": d.rule} for d in diags]

        return {
            "path": display_path(self.path),
            "name": self.name,
            "ok": not self.errors,
            "errors": items(self.errors),
            "warnings": items(self.warnings),
        }


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``validate`` command."""
    parser = subparsers.add_parser(
        "validate",
        parents=[skills_options()],
        help="check skill files (exit 1 on errors)",
        description="Parse, lint and resolve skill files or directories (searched recursively).",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print a JSON list of reports")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate every skill file under the given paths."""
    files = _collect(args.paths)
    library = open_library(args, first=_context_dirs(args.paths))
    reports = [validate_file(path, library) for path in files]
    if args.json:
        print_json([r.to_json() for r in reports])
    else:
        _print_human(reports)
    return EXIT_ERRORS if any(r.errors for r in reports) else EXIT_OK


def _collect(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UserError(f"no such file or directory: {path}")
        found = discover_files(path)
        if not found:
            raise UserError(f"no skill files found under {path}")
        files.extend(f for f in found if f not in files)
    return files


def _context_dirs(paths: list[Path]) -> list[Path]:
    """Where sibling skills of the validated files live, so their dependencies resolve."""
    dirs: list[Path] = []
    for path in paths:
        if path.is_dir():
            dirs.append(path)
        else:
            dirs.append(path.parent.parent if path.name == SKILL_FILE else path.parent)
    return dirs


def validate_file(path: Path, library: Library) -> FileReport:
    """Parse errors, parser diagnostics, lint results and resolution errors for one file."""
    report = FileReport(path)
    try:
        skill = load_skill(path)
    except SkillParseError as exc:
        report.diagnostics.append(
            Diagnostic(severity="error", line=exc.line or 1, message=exc.reason, rule=_PARSE_RULE)
        )
        return report
    report.name = skill.name
    folder = path.parent.name if path.name == SKILL_FILE else None
    report.diagnostics.extend(skill.diagnostics)
    report.diagnostics.extend(lint(skill, folder_name=folder, available=library.has))
    if not any(d.rule == "missing-dependency" for d in report.diagnostics):
        try:
            library.resolve(str(path))
        except SkillResolutionError as exc:
            report.diagnostics.append(_resolution_diagnostic(exc, path))
        except SkillParseError as exc:
            # A dependency is broken: the skill itself is fine but cannot run.
            report.diagnostics.append(
                Diagnostic(
                    severity="error", line=1, message=f"dependency: {exc}", rule=_RESOLUTION_RULE
                )
            )
    report.diagnostics.sort(key=lambda d: d.line)
    return report


def _resolution_diagnostic(exc: SkillResolutionError, path: Path) -> Diagnostic:
    line = getattr(exc, "line", None)
    where = getattr(exc, "path", None)
    same_file = where is not None and Path(where).resolve() == path.resolve()
    message = getattr(exc, "reason", str(exc)) if same_file else str(exc)
    rule = (
        "missing-dependency"
        if isinstance(exc, MissingDependencyError)
        else "dependency-cycle"
        if isinstance(exc, DependencyCycleError)
        else _RESOLUTION_RULE
    )
    return Diagnostic(
        severity="error",
        line=line if same_file and line is not None else 1,
        message=message,
        rule=rule,
    )


def _print_human(reports: list[FileReport]) -> None:
    for report in reports:
        shown = display_path(report.path)
        for d in report.diagnostics:
            print(f"{shown}:{d.line}: {d.severity}: {d.message} [{d.rule}]")
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports)
    failed = sum(1 for r in reports if r.errors)
    verdict = "ok" if not errors else f"{failed} failed"
    print(f"{len(reports)} skill file(s): {errors} error(s), {warnings} warning(s) — {verdict}")
