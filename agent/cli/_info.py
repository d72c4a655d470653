"""``skillweave info``: which data directory, database, skills, plugins and model are in use.

The first thing to look at when a run finds the wrong skill or no tools. It
prints no secret: the model spec with any URL credentials masked, and API keys
only as set or unset.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

from agent.cli._common import EXIT_OK, print_json

_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
_SECRET_ENV = ("OPENAI_API_KEY",)


def mask(text: str) -> str:
    """``scheme://user:pass@host`` → ``scheme://***@host``."""
    return _URL_CREDENTIALS.sub("***@", text)


def gather(args: argparse.Namespace) -> dict[str, Any]:
    """Everything ``info`` reports, as the ``--json`` document."""
    from agent._data import data_dir_path
    from agent.cli import version
    from agent.engine.store import resolve_db
    from agent.plugins import plugin_sources
    from agent.skill.library import default_skill_paths

    spec = os.environ.get("SKILLWEAVE_MODEL", "").strip()
    base_url = os.environ.get("OPENAI_BASE_URL", "").strip()
    return {
        "version": version(),
        "data_dir": str(data_dir_path()),
        "database": mask(resolve_db(args.db).describe()),
        "skills_path": [
            {"path": str(p), "exists": p.is_dir()} for p in default_skill_paths(args.skills_dir)
        ],
        "tool_plugins": [
            {"name": s.name, "source": s.kind, "origin": s.origin, "file": str(s.file)}
            for s in plugin_sources(args.tools_dir).values()
        ],
        "model": {
            "spec": mask(spec) if spec else None,
            "openai_base_url": mask(base_url) if base_url else None,
            **{name.lower(): "set" if os.environ.get(name) else "unset" for name in _SECRET_ENV},
        },
    }


def run_info(args: argparse.Namespace) -> int:
    """Print the set-up, one item per line (``--json``: one document)."""
    info = gather(args)
    if args.json:
        print_json(info)
        return EXIT_OK
    model = info["model"]
    print(f"skillweave {info['version']}")
    print(f"data directory: {info['data_dir']}  (SKILLWEAVE_HOME)")
    print(f"database:       {info['database']}")
    print("skills path:    (first match wins)")
    for entry in info["skills_path"]:
        print(f"  {entry['path']}{'' if entry['exists'] else '  (missing)'}")
    print("tool plugins:")
    for plugin in info["tool_plugins"]:
        print(f"  {plugin['name']}: {plugin['source']} {plugin['origin']}  [{plugin['file']}]")
    if not info["tool_plugins"]:
        print("  none")
    print(f"model:          {model['spec'] or 'none'}  (SKILLWEAVE_MODEL)")
    if model["openai_base_url"]:
        print(f"OPENAI_BASE_URL: {model['openai_base_url']}")
    print(f"OPENAI_API_KEY: {model['openai_api_key']}")
    return EXIT_OK
