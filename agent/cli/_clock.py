"""Commands that touch a run keep its clock: deadlines that passed apply first.

Without ``skillweave serve`` running, nothing applies a paused run's deadlines
in the background; ``status``, ``answer`` and ``resume`` do it before they read
or continue the run, and say on stderr what was applied.
"""

from __future__ import annotations

from agent.cli._common import warn
from agent.cli._render import timer_lines
from agent.engine.deadlines import apply_deadlines
from agent.errors import SkillweaveError, UserError
from agent.graph._context import SYSTEM_CLOCK, iso


async def catch_up(thread_id: str, db: str | None) -> None:
    """Apply the run's due deadlines and reminders, and say what was applied.

    A run this process cannot continue (its skill file changed, its model was given
    in code) is left as it is: the command itself reports that when it matters.
    """
    since = iso(SYSTEM_CLOCK.now())
    try:
        result = await apply_deadlines(thread_id, db=db)
    except UserError:
        return
    except SkillweaveError as exc:
        warn(f"deadlines of {thread_id} not applied: {exc}")
        return
    if result is not None:
        for line in timer_lines([t for t in result.timers if t["at"] >= since]):
            warn(line)
