"""Start-up: the light commands never import the model, graph or evals layers.

Checked in a fresh interpreter (``sys.modules`` of this test process already
holds everything), so a top-level import added to a command module fails here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import build_parser, main
from agent.cli._parsers import COMMANDS, LazyHandler

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("langgraph", "langchain_core", "openai", "httpx", "agent.evals", "agent.llm")
PARSING = ("pydantic", "yaml", "agent.skill")
"""Not needed to print help or a version: only commands that read skills load these."""


def _loaded_after(code: str, cwd: Path = REPO, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """Which ``heavy`` modules are in ``sys.modules`` after running ``code``."""
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted({{m.split('.')[0] if not m.startswith('agent') else m "
        f"for m in sys.modules if m.startswith({heavy!r})}})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=cwd
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_neither_langgraph_nor_openai() -> None:
    assert _loaded_after("import agent.cli") == []


def test_importing_the_cli_does_not_load_the_skill_parser_or_pydantic() -> None:
    assert _loaded_after("import agent.cli", heavy=PARSING) == []


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["run", "--help"]])
def test_help_and_version_load_no_heavy_module_and_no_parser(argv: list[str]) -> None:
    code = f"from agent.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    assert _loaded_after(code, heavy=HEAVY + PARSING) == []


def test_skills_list_loads_no_heavy_module() -> None:
    assert _loaded_after("from agent.cli import main; main(['skills', 'list'])") == []


def test_validating_a_skill_without_scorers_loads_no_heavy_module(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "SKILL.md").write_text(
        "---\nname: plain\ndescription: A plain skill.\n---\n# Plain\n", encoding="utf-8"
    )
    code = f"from agent.cli import main; main(['validate', {str(folder)!r}])"
    assert _loaded_after(code, cwd=tmp_path) == []


def test_validating_a_skill_with_scorers_loads_neither_the_engine_nor_a_model_client() -> None:
    assert (REPO / "skills" / "incident-response" / "scorers.yaml").is_file()
    code = "from agent.cli import main; main(['validate', 'skills'])"
    engine = ("langgraph", "langchain_core", "openai", "httpx", "agent.llm", "agent.engine")
    assert _loaded_after(code, heavy=(*engine, "agent.graph")) == []


def test_validating_scorers_does_not_start_an_event_loop_module() -> None:
    code = "from agent.cli import main; main(['validate', 'skills'])"
    assert _loaded_after(code, heavy=("asyncio", "traceback")) == []


def _handlers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, LazyHandler]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                handler = sub.get_default("handler")
                if isinstance(handler, LazyHandler):
                    yield name, handler
                yield from _handlers(sub)


@pytest.mark.parametrize(("command", "handler"), list(_handlers(build_parser())))
def test_every_command_names_a_handler_that_exists(command: str, handler: LazyHandler) -> None:
    assert callable(getattr(importlib.import_module(handler.module), handler.name, None)), command


def test_every_leaf_command_has_a_handler() -> None:
    def leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield parser
        for action in subs:
            for sub in action.choices.values():
                yield from leaves(sub)

    missing = [p.prog for p in leaves(build_parser()) if p.get_default("handler") is None]
    assert missing == []


def _subcommand_help(parser: argparse.ArgumentParser, name: str) -> str:
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name].format_help()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_declared_alone_is_the_same_as_in_the_full_tree(name: str) -> None:
    assert _subcommand_help(build_parser(name), name) == _subcommand_help(build_parser(), name)


def test_an_unknown_command_still_lists_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'no-such-command'" in err
    assert all(name in err for name in COMMANDS)
