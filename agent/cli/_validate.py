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
)
from agent.errors import (
    DependencyCycleError,
    MissingDependencyError,
    SkillParseError,
    SkillResolutionError,
    UserError,
)
from agent.skill.library import SKILL_FILE, Library, discover_files, load_skill
from agent.skill.lint import POLICY_RULE, lint, lint_policy
from agent.skill.model import Diagnostic, Skill
from agent.skill.policy import POLICY_FILENAME

# Rule names for problems found outside the model's own diagnostics.
_PARSE_RULE = "parse"
_RESOLUTION_RULE = "resolution"
SCORERS_RULE = "scorers"
_SCORERS_FILE = "scorers.yaml"
"""``agent.evals.scoring.SCORERS_FILE``, spelt out so validate imports evals only when needed."""


@dataclass
class FileReport:
    """Everything validate found in one file."""

    path: Path
    name: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    beside: list[tuple[Path, Diagnostic]] = field(default_factory=list)
    """Problems in files beside the skill (``policy.yaml``, ``scorers.yaml``), their lines."""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self._all() if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self._all() if d.severity == "warning"]

    def _all(self) -> list[Diagnostic]:
        return self.diagnostics + [d for _, d in self.beside]

    def located(self) -> list[tuple[Path, Diagnostic]]:
        """Every diagnostic with the file its line number belongs to."""
        return [(self.path, d) for d in self.diagnostics] + self.beside

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` record: {path, name, ok, errors, warnings}.

        A problem in a file beside the skill also says ``file``: its line is that file's.
        """

        def items(severity: str) -> list[dict[str, Any]]:
            return [
                {"line": d.line, "message": d.message, "rule": d.rule}
                | ({} if where == self.path else {"file": display_path(where)})
                for where, d in self.located()
                if d.severity == severity
            ]

        return {
            "path": display_path(self.path),
            "name": self.name,
            "ok": not self.errors,
            "errors": items("error"),
            "warnings": items("warning"),
        }


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
    _check_policy(report, skill)
    _check_scorers(report, skill)
    return report


def _check_policy(report: FileReport, skill: Skill) -> None:
    """Lint the ``policy.yaml`` beside the skill, if it has one."""
    policy = report.path.parent / POLICY_FILENAME
    if not policy.is_file():
        return
    try:
        text = policy.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = Diagnostic(
            severity="error", line=1, message=f"cannot read policy: {exc}", rule=POLICY_RULE
        )
        report.beside.append((policy, problem))
        return
    report.beside.extend((policy, d) for d in lint_policy(text, skill, path=str(policy)))


def _check_scorers(report: FileReport, skill: Skill) -> None:
    """Check the eval ``scorers.yaml`` beside the skill, if it has one, against its criteria."""
    if not (report.path.parent / _SCORERS_FILE).is_file():
        return  # the evals package (and the model layer it pulls in) is not needed
    from agent.evals.scoring import ScorerConfigError, default_scorers

    try:
        default_scorers(skill.model_copy(update={"path": str(report.path)}))
    except ScorerConfigError as exc:
        problem = Diagnostic(
            severity="error", line=exc.where.line or 1, message=exc.reason, rule=SCORERS_RULE
        )
        report.beside.append((Path(exc.where.file), problem))


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
        for where, d in report.located():
            print(f"{display_path(where)}:{d.line}: {d.severity}: {d.message} [{d.rule}]")
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports)
    failed = sum(1 for r in reports if r.errors)
    verdict = "ok" if not errors else f"{failed} failed"
    print(f"{len(reports)} skill file(s): {errors} error(s), {warnings} warning(s) — {verdict}")
