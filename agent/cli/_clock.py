"""Commands that touch a run keep its clock: deadlines that passed apply first.

Without ``skillweave serve`` running, nothing applies a paused run's deadlines
in the background; ``status``, ``answer`` and ``resume`` do it before they read
or continue the run, and say on stderr what was applied.
"""

from __future__ import annotations

from agent.cli._common import warn
from agent.cli._render import timer_lines
from agent.engine.deadlines import apply_deadlines
from agent.errors import SkillweaveError, UnknownThreadError
from agent.graph._context import SYSTEM_CLOCK, iso


async def catch_up(thread_id: str, db: str | None) -> None:
    """Apply the run's due deadlines and reminders; a run that cannot advance is only warned of."""
    since = iso(SYSTEM_CLOCK.now())
    try:
        result = await apply_deadlines(thread_id, db=db)
    except UnknownThreadError:
        raise
    except SkillweaveError as exc:
        warn(f"deadlines of {thread_id} not applied: {exc}")
        return
    if result is not None:
        for line in timer_lines([t for t in result.timers if t["at"] >= since]):
            warn(line)
