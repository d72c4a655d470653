"""Helpers for the MCP tests: the offline incident example and a scripted incident commander."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp import types

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "incidents" / "checkout-deploy-spike"
SCRIPT = f"scripted:{EXAMPLE / 'script.yaml'}"
INPUTS = {"incident": "checkout 5xx"}
RUN_ARGS = {"skill": "incident-response", "inputs": INPUTS, "evidence": str(EXAMPLE)}
SEVERITY_NOTE = "payments are a major feature"  # the script expects the reason in the answer


@dataclass
class Human:
    """Answers elicitation forms like the incident commander would; records what was asked."""

    decline: bool = False
    asked: list[types.ElicitRequestParams] = field(default_factory=list)

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params)
        if self.decline:
            return types.ElicitResult(action="decline")
        assert isinstance(params, types.ElicitRequestFormParams)
        choices = params.requested_schema["properties"]["answer"].get("enum")
        if choices == ["SEV2", "SEV3"]:
            return types.ElicitResult(
                action="accept", content={"answer": "SEV2", "note": SEVERITY_NOTE}
            )
        return types.ElicitResult(action="accept", content={"answer": "approve"})


def structured(result: types.CallToolResult) -> dict[str, Any]:
    """The structured content of a successful tool result."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def text(result: types.CallToolResult) -> str:
    """The text of a tool result's first block."""
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text
