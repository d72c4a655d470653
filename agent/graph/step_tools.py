"""Which tools one step is offered: the ones it is known to need, the others on request.

Offering every tool to every step costs prompt tokens on each call and gives a
weak model more ways to wander (issue #11: 13 tools, a tool loop of 8 rounds).
A step's named tools are those its policy lists (``step_tools:`` in policy.yaml)
plus those its micro-skill text names verbatim (``search_logs``). A step that
names none keeps every tool, so a skill without a word about tools loses nothing.

The others stay reachable through one extra tool, :data:`MORE_TOOLS`: called
without a name it lists them with their arguments; called with a name and
arguments it runs that tool. Why a proxy rather than unlocking tools mid-loop:
the tool set of a model call stays fixed (servers that constrain tool names with
a grammar, the scripted model and replayed rounds all see one list), and the
inner call goes through the run's journaled tool, so it happens once and a
re-run replays it like any other call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field

from agent.skill.model import MicroSkill
from agent.skill.policy import Policy

MORE_TOOLS = "more_tools"
"""The tool through which a step reaches the tools it was not given."""


class _More(BaseModel):
    name: str = Field(default="", description="The tool to use; empty to list the tools.")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="That tool's arguments, as its listing shows them."
    )


def named_tools(step: MicroSkill, policy: Policy | None, available: Sequence[str]) -> list[str]:
    """The tool names ``step`` is given: its policy's ``step_tools`` entry, then its text's.

    A name counts in the text only as a whole word (``search_logs``, not ``logs``).
    """
    listed = policy.step_tools.get(step.id, []) if policy is not None else []
    text = f"{step.title}\n{step.body}"
    mentioned = [
        name for name in available if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
    ]
    return list(dict.fromkeys([*listed, *mentioned]))


def tools_for(
    step: MicroSkill, policy: Policy | None, tools: Sequence[BaseTool]
) -> tuple[BaseTool, ...]:
    """The tools offered to ``step``: its named ones and :data:`MORE_TOOLS` for the rest.

    A step that names no tool, and is not listed in ``step_tools``, keeps all of them.
    """
    names = named_tools(step, policy, [t.name for t in tools])
    listed = policy is not None and step.id in policy.step_tools
    if not names and not listed:
        return tuple(tools)
    chosen = [t for t in tools if t.name in names]
    others = [t for t in tools if t.name not in names]
    return (*chosen, more_tools(others)) if others else tuple(chosen)


def more_tools(others: Sequence[BaseTool]) -> BaseTool:
    """The proxy that lists ``others`` and runs one of them by name."""
    by_name = {t.name: t for t in others}

    async def run(name: str = "", arguments: dict[str, Any] | None = None) -> str:
        tool = by_name.get(name)
        if tool is None:
            listing = [
                {
                    "name": t.name,
                    "description": t.description,
                    "arguments": convert_to_openai_tool(t)["function"].get("parameters", {}),
                }
                for t in others
            ]
            unknown = {"unknown": name} if name else {}
            return json.dumps({**unknown, "tools": listing}, ensure_ascii=False)
        result = await tool.ainvoke(arguments or {})
        return result if isinstance(result, str) else json.dumps(result, default=str)

    return StructuredTool.from_function(
        coroutine=run,
        name=MORE_TOOLS,
        description=(
            "Tools this step was not given: "
            + ", ".join(by_name)
            + ". Call with no name to list them with their arguments; call with a name "
            "and its arguments to use one."
        ),
        args_schema=_More,
    )
