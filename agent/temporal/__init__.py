"""Skill runs as Temporal workflows, so runs outlive the machine that started them.

A front-door-level package: it drives :mod:`agent.engine` and is never imported
by it. Each advance of a run (start, or resume with answers, until the next
question or the end) is an activity calling the engine on the shared run
database; the workflow keeps the run's place between advances, takes answers as
validated updates and keeps the question deadlines as workflow timers. The
engine's journal makes a retried activity repeat no model call and no effect.
Nothing here is imported by ``skillweave --help``: the CLI imports it lazily.
"""
