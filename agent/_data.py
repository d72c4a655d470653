"""Where the skills, tool plugins and example incidents that ship with skillweave live.

The repository keeps them at the top level (``skills/``, ``tools/``,
``examples/``) beside the ``agent`` package; a wheel carries them inside it as
``agent/_bundled/<name>`` (see ``[tool.setuptools.package-dir]`` in
pyproject.toml). One lookup serves a checkout, an editable install and a
regular install, without the import system and without the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from agent.errors import ConfigError

Shipped = Literal["skills", "tools", "examples"]
BUNDLE_DIR = "_bundled"
"""The folder inside the installed ``agent`` package that holds the shipped data."""

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: Shipped) -> Path:
    """The installed copy when there is one (a wheel), else the checkout's top-level folder."""
    installed = _PACKAGE / BUNDLE_DIR / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def examples_dir() -> Path:
    """The example incidents (``examples/incidents``): evidence, scripts and answers."""
    return shipped_dir("examples") / "incidents"


def data_dir_path(data_dir: Path | None = None) -> Path:
    """The data directory (created if missing): ``SKILLWEAVE_HOME`` or the user's data folder."""
    if data_dir is None:
        env = os.environ.get("SKILLWEAVE_HOME")
        data_dir = Path(env) if env else Path.home() / ".local" / "share" / "skillweave"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data directory {data_dir}: {exc.strerror}") from None
    return data_dir
