"""Discovery, loading and resolution of skills on a search path."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from agent.errors import (
    DependencyCycleError,
    MissingDependencyError,
    SkillParseError,
    SkillResolutionError,
)
from agent.skill.library import SKILLS_PATH_ENV, Library, default_skill_paths

REPO = Path(__file__).resolve().parents[2]
SKILLS = REPO / "skills"
CORPUS = REPO / ".." / "shared" / "corpus"
GARDEN_V3 = CORPUS / "garden-v3"
GARDEN_V4 = CORPUS / "garden-v4"


def skill_text(name: str, deps: tuple[str, ...] = (), body: str = "", description: str = "") -> str:
    dep_lines = "".join(f"\n  - {d}" for d in deps) if deps else " []"
    return (
        f"---\nname: {name}\ndescription: {description or 'Test skill ' + name}\n"
        f'version: "1.0.0"\ndependencies:{dep_lines}\nreasoning_mode: linear\n---\n\n'
        f"# {name}\n\n{textwrap.dedent(body)}"
    )


def write_folder(root: Path, name: str, **kwargs: Any) -> Path:
    path = root / name / "SKILL.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(skill_text(name, **kwargs), encoding="utf-8")
    return path


def write_flat(root: Path, name: str, **kwargs: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{name}.md"
    path.write_text(skill_text(name, **kwargs), encoding="utf-8")
    return path


def corpus_skill_files(root: Path) -> list[Path]:
    """Every markdown file of the corpus is a skill, except its README."""
    return [p for p in root.rglob("*.md") if p.name != "README.md"]


def test_discovers_folder_layout_and_ignores_readme(tmp_path: Path) -> None:
    write_folder(tmp_path, "alpha")
    write_folder(tmp_path / "nested" / "deeper", "beta")
    (tmp_path / "README.md").write_text("---\ntitle: not a skill\n---\n", encoding="utf-8")
    assert Library([tmp_path]).names() == ["alpha", "beta"]


def test_discovers_flat_files_only_when_they_open_with_frontmatter(tmp_path: Path) -> None:
    write_flat(tmp_path / "cat", "gamma")
    (tmp_path / "cat" / "notes.md").write_text("# just notes\n", encoding="utf-8")
    (tmp_path / "cat" / "wrapped.md").write_text(
        "```markdown\n" + skill_text("wrapped") + "```\n", encoding="utf-8"
    )
    assert Library([tmp_path]).names() == ["gamma", "wrapped"]


@pytest.mark.parametrize("garden", [GARDEN_V3, GARDEN_V4], ids=["garden-v3", "garden-v4"])
def test_discovers_every_corpus_skill(garden: Path) -> None:
    expected = {
        p.parent.name if p.name == "SKILL.md" else p.stem for p in corpus_skill_files(garden)
    }
    assert set(Library([garden]).names()) == expected


def test_incident_response_dependencies_load_in_order() -> None:
    resolved = Library([SKILLS]).resolve("incident-response")
    assert [s.name for s in resolved.dependencies] == ["constitution", "scratchpad", "auditor"]


def test_every_dependency_precedes_its_dependents(tmp_path: Path) -> None:
    write_folder(tmp_path, "base")
    write_folder(tmp_path, "mid", deps=("base",))
    write_folder(tmp_path, "other", deps=("base",))
    write_folder(tmp_path, "top", deps=("mid", "other", "base"))
    order = [s.name for s in Library([tmp_path]).resolve("top").dependencies]
    for skill in Library([tmp_path]).resolve("top").dependencies:
        for dep in skill.dependencies:
            assert order.index(dep) < order.index(skill.name)
    assert sorted(order) == ["base", "mid", "other"]


def test_missing_dependency_error_names_both_skills_and_line(tmp_path: Path) -> None:
    path = write_folder(tmp_path, "needy", deps=("constitution", "ghost"))
    with pytest.raises(MissingDependencyError) as info:
        Library([tmp_path, SKILLS]).resolve("needy")
    message = str(info.value)
    assert "'needy'" in message
    assert "'ghost'" in message
    assert info.value.path == str(path)
    ghost_line = path.read_text().splitlines().index("  - ghost") + 1
    assert info.value.line == ghost_line


def test_cycle_error_names_the_cycle_path(tmp_path: Path) -> None:
    write_folder(tmp_path, "a", deps=("b",))
    write_folder(tmp_path, "b", deps=("c",))
    write_folder(tmp_path, "c", deps=("a",))
    with pytest.raises(DependencyCycleError, match="a → b → c → a"):
        Library([tmp_path]).resolve("a")


def test_invoke_reference_unavailable_with_project_skills_only() -> None:
    refs = Library([SKILLS]).resolve("incident-response").references
    debt = [r for r in refs if r.name == "tech-debt-tracking"]
    assert [(r.kind, r.available) for r in debt] == [("invoke", False)]


def test_invoke_reference_available_with_corpus_on_path() -> None:
    refs = Library([SKILLS, GARDEN_V4]).resolve("incident-response").references
    debt = [r for r in refs if r.name == "tech-debt-tracking"]
    assert [(r.kind, r.available) for r in debt] == [("invoke", True)]


def test_delegations_are_listed_as_references() -> None:
    refs = Library([SKILLS]).resolve("incident-response").references
    delegates = {r.name for r in refs if r.kind == "delegate"}
    assert {"terraform-iac", "system-design", "root-cause-analysis"} <= delegates


def test_master_skill_resolves_available_invoke_targets_as_subsets() -> None:
    library = Library([SKILLS, GARDEN_V4])
    resolved = library.resolve("incident-response-flow")
    targets = [n for ms in resolved.skill.micro_skills for n in ms.invokes]
    available = [n for n in targets if library.has(n)]
    assert available, "the master skill should invoke skills present in garden-v4"
    assert set(resolved.invoked) == set(available)
    assert all(resolved.invoked[n].skill.name == n for n in available)
    unavailable = {r.name for r in resolved.references if not r.available}
    assert {n for n in targets if not library.has(n)} <= unavailable
    assert not any(library.has(name) for name in unavailable)


def test_skill_set_get_covers_root_and_dependencies() -> None:
    resolved = Library([SKILLS]).resolve("incident-response")
    assert resolved.get("incident-response") is resolved.skill
    found = resolved.get("auditor")
    assert found is not None
    assert found.name == "auditor"
    assert resolved.get("tech-debt-tracking") is None


def test_skills_dir_beats_env_path_which_beats_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_dir = tmp_path / "cli"
    env_dir = tmp_path / "env"
    write_folder(cli_dir, "constitution", description="from cli")
    write_folder(env_dir, "constitution", description="from env")
    monkeypatch.setenv(SKILLS_PATH_ENV, str(env_dir))
    monkeypatch.chdir(tmp_path)
    assert Library(default_skill_paths([cli_dir])).get("constitution").description == "from cli"
    assert Library(default_skill_paths()).get("constitution").description == "from env"
    monkeypatch.delenv(SKILLS_PATH_ENV)
    assert Library(default_skill_paths()).get("constitution").path == str(
        (SKILLS / "constitution" / "SKILL.md").resolve()
    )


def test_shadowed_skill_is_reported_as_a_warning(tmp_path: Path) -> None:
    write_folder(tmp_path / "first", "dup")
    shadowed = write_folder(tmp_path / "second", "dup")
    library = Library([tmp_path / "first", tmp_path / "second"])
    assert [(p.severity, p.path) for p in library.problems] == [("warning", str(shadowed))]


def test_current_directory_skills_folder_is_on_the_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SKILLS_PATH_ENV, raising=False)
    write_folder(tmp_path / "skills", "local-only")
    monkeypatch.chdir(tmp_path)
    assert "local-only" in Library(default_skill_paths()).names()


def test_broken_file_elsewhere_does_not_prevent_loading(tmp_path: Path) -> None:
    write_folder(tmp_path, "healthy")
    broken = tmp_path / "broken" / "SKILL.md"
    broken.parent.mkdir()
    broken.write_text("---\nname: [unclosed\n---\n", encoding="utf-8")
    library = Library([tmp_path])
    assert library.get("healthy").name == "healthy"
    assert [s.name for s in library.iter_skills()] == ["healthy"]
    assert [(p.severity, p.path) for p in library.problems] == [("error", str(broken))]
    with pytest.raises(SkillParseError):
        library.get("broken")


def test_unknown_name_error_names_the_search_path(tmp_path: Path) -> None:
    with pytest.raises(SkillResolutionError, match=str(tmp_path)):
        Library([tmp_path]).get("nope")


def test_find_accepts_a_skill_folder_or_file(tmp_path: Path) -> None:
    path = write_folder(tmp_path, "pathy")
    library = Library([])
    assert library.find(str(path)).name == "pathy"
    assert library.find(str(path.parent)).name == "pathy"


def test_resolving_a_path_uses_the_library_for_dependencies(tmp_path: Path) -> None:
    path = write_folder(tmp_path / "elsewhere", "uses-constitution", deps=("constitution",))
    resolved = Library([SKILLS]).resolve(str(path))
    assert [s.name for s in resolved.dependencies] == ["constitution"]


def test_parsing_is_lazy_and_cached(tmp_path: Path) -> None:
    write_folder(tmp_path, "cached")
    library = Library([tmp_path])
    assert library.get("cached") is library.get("cached")


def test_a_misspelt_skill_name_suggests_the_closest_one(tmp_path: Path) -> None:
    write_folder(tmp_path, "incident-response")
    write_folder(tmp_path, "constitution")
    with pytest.raises(SkillResolutionError, match=r"did you mean 'incident-response'\?"):
        Library([tmp_path]).get("incidnet-response")


def test_a_name_like_no_skill_gets_no_suggestion(tmp_path: Path) -> None:
    write_folder(tmp_path, "incident-response")
    with pytest.raises(SkillResolutionError) as caught:
        Library([tmp_path]).get("zzz")
    assert "did you mean" not in str(caught.value)
