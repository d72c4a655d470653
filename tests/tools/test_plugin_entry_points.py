"""Tool plugins from installed distributions: the ``skillweave.tools`` entry-point group."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from agent import plugins
from agent.errors import PluginError
from agent.plugins import ENTRY_POINT_GROUP, ToolContext, load_tools, plugin_sources
from agent.skill.parse import parse_skill

REPO = Path(__file__).resolve().parents[2]
MODULE = '''
from langchain_core.tools import tool


def make_tools(ctx):
    return [page_oncall]


def make_other_tools(ctx):
    return [page_oncall]


@tool
def page_oncall(who: str) -> str:
    """Page someone."""
    return who
'''


def _installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *points: EntryPoint) -> None:
    """Pretend a distribution installed module ``sw_pager`` and declared ``points``."""
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "sw_pager.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    real = plugins.entry_points

    def fake(*, group: str) -> list[EntryPoint]:
        return [*points, *real(group=group)] if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr(plugins, "entry_points", fake)
    plugins._entry_sources.cache_clear()  # read once per process: read the pretend ones now


@pytest.fixture(autouse=True)
def _fresh_entry_points() -> Iterator[None]:
    """Entry points are read once per process; every test here starts and ends unread."""
    plugins._entry_sources.cache_clear()
    yield
    plugins._entry_sources.cache_clear()


def _point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def _skill(tmp_path: Path, allowed: str):
    text = f"---\nname: demo\ndescription: d\nallowed-tools: {allowed}\n---\n# Demo\n"
    return parse_skill(text, path=str(tmp_path / "SKILL.md"))


def test_our_own_plugins_are_registered_as_entry_points() -> None:
    sources = plugin_sources()
    assert {n: s.kind for n, s in sources.items()} == {
        "actions": "entry point",
        "incident": "entry point",
    }
    assert sources["incident"].file.resolve() == (REPO / "tools" / "incident.py").resolve()


def test_an_installed_module_entry_point_provides_its_make_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, context: ToolContext
) -> None:
    _installed(monkeypatch, tmp_path, _point("pager", "sw_pager"))
    assert plugin_sources()["pager"].kind == "entry point"
    tools = load_tools(_skill(tmp_path, "pager"), context)
    assert [t.name for t in tools] == ["page_oncall"]


def test_an_entry_point_may_name_the_function_that_makes_the_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, context: ToolContext
) -> None:
    _installed(monkeypatch, tmp_path, _point("pager", "sw_pager:make_other_tools"))
    tools = load_tools(_skill(tmp_path, "pager"), context)
    assert [t.name for t in tools] == ["page_oncall"]


def test_a_tools_dir_plugin_shadows_an_entry_point_of_the_same_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _installed(monkeypatch, tmp_path, _point("pager", "sw_pager"))
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "pager.py").write_text(MODULE, encoding="utf-8")
    source = plugin_sources([folder])["pager"]
    assert (source.kind, source.file) == ("file", folder / "pager.py")


def test_an_entry_point_naming_a_missing_module_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _installed(monkeypatch, tmp_path, _point("ghost", "sw_no_such_module"))
    with pytest.raises(PluginError, match=r"ghost = sw_no_such_module"):
        plugin_sources()


def test_an_entry_point_whose_module_fails_to_import_names_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, context: ToolContext
) -> None:
    _installed(monkeypatch, tmp_path, _point("broken", "sw_broken"))
    (tmp_path / "site" / "sw_broken.py").write_text("import not_a_module_anywhere\n", "utf-8")
    with pytest.raises(PluginError, match=r"sw_broken\.py: tool plugin failed to import"):
        load_tools(_skill(tmp_path, "broken"), context)
