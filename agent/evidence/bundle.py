"""Reading an evidence bundle: the files an operator exported during an incident.

A bundle is a directory holding an incident description and any of the kinds
in :data:`KINDS`, each as CSV, JSON (an array of objects) or JSONL, the shapes
monitoring tools export. Every record keeps its file name and line, so whatever
a tool reports can be cited (``logs.jsonl:12``) and linked in the postmortem.
The whole bundle is read up front: a malformed file is the operator's mistake
and must surface before the run starts, naming the file and line.

Credentials are scrubbed as records are read (:mod:`agent._secrets`): a
password in a connection URL, a bearer token or an API key in a log line
becomes ``[redacted:KIND]`` in memory, so no tool, prompt, checkpoint or
transcript ever holds it. The files on disk are never changed, and each record
keeps its ``ref``, so the original line can still be looked up by hand.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent._secrets import scrub, scrub_value
from agent.errors import EvidenceError

KINDS = ("deploys", "config_changes", "feature_flags", "metrics", "logs", "traces", "alerts")
"""Record kinds a bundle may hold; each is read from ``<kind>.csv|json|jsonl``."""
DESCRIPTIONS = ("incident.md", "incident.txt", "incident.json")
_FORMATS = (".csv", ".json", ".jsonl")
_TIME_KEYS = ("timestamp", "time", "ts", "@timestamp")


@dataclass(frozen=True)
class Record:
    """One row of evidence and where it came from."""

    source: str
    line: int
    time: datetime
    data: dict[str, Any]

    @property
    def ref(self) -> str:
        """The citation a postmortem links: ``file:line``."""
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class Bundle:
    """Every record of a bundle, by kind, in time order."""

    root: Path
    description: str = ""
    description_source: str | None = None
    records: dict[str, list[Record]] = field(default_factory=dict)

    def of(self, kind: str) -> list[Record]:
        """The records of ``kind`` (empty when the bundle has no such file)."""
        return self.records.get(kind, [])


def parse_time(value: Any, *, path: str, line: int | None) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset; naive means UTC) as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise EvidenceError(
            f"invalid timestamp {value!r} (use ISO 8601)", path=path, line=line
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _rows_csv(text: str, path: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        if None in row:
            raise EvidenceError(
                "row has more cells than the header", path=path, line=reader.line_num
            )
        rows.append(
            (reader.line_num, {k.strip(): v for k, v in row.items() if v not in ("", None)})
        )
    return rows


def _rows_jsonl(text: str, path: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EvidenceError(f"invalid JSON: {exc.msg}", path=path, line=number) from None
        rows.append((number, _object(value, path, number)))
    return rows


def _rows_json(text: str, path: str) -> list[tuple[int, dict[str, Any]]]:
    """Elements of a top-level array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        raise EvidenceError("a JSON evidence file must be an array of objects", path=path, line=1)
    rows: list[tuple[int, dict[str, Any]]] = []
    pos = _skip(text, pos + 1)
    while not text.startswith("]", pos):
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise EvidenceError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        rows.append((line, _object(value, path, line)))
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif not text.startswith("]", pos):
            line = text.count("\n", 0, pos) + 1
            raise EvidenceError("invalid JSON: expected ',' or ']'", path=path, line=line)
    return rows


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _object(value: Any, path: str, line: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EvidenceError("each record must be a JSON object", path=path, line=line)
    return value


_READERS = {".csv": _rows_csv, ".json": _rows_json, ".jsonl": _rows_jsonl}


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"cannot read evidence file: {exc}", path=str(file)) from None


def _records(file: Path) -> list[Record]:
    path = str(file)
    records = []
    for line, data in _READERS[file.suffix](_read(file), path):
        stamp = next((data[k] for k in _TIME_KEYS if k in data), None)
        if stamp is None:
            raise EvidenceError(
                f"record has no timestamp (one of {', '.join(_TIME_KEYS)})", path=path, line=line
            )
        when = parse_time(stamp, path=path, line=line)
        records.append(Record(file.name, line, when, scrub_value(data)))
    return sorted(records, key=lambda r: (r.time, r.line))


def _kind_file(root: Path, kind: str) -> Path | None:
    found = [root / f"{kind}{ext}" for ext in _FORMATS if (root / f"{kind}{ext}").is_file()]
    if len(found) > 1:
        names = ", ".join(f.name for f in found)
        raise EvidenceError(f"more than one file for {kind!r} ({names}); keep one", path=str(root))
    return found[0] if found else None


def _description(root: Path) -> tuple[str, str | None]:
    for name in DESCRIPTIONS:
        file = root / name
        if file.is_file():
            text = _read(file)
            if file.suffix == ".json":
                try:
                    data = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise EvidenceError(
                        f"invalid JSON: {exc.msg}", path=str(file), line=exc.lineno
                    ) from None
                text = json.dumps(data, indent=1) if not isinstance(data, str) else data
            return scrub(text), name
    return "", None


def open_bundle(root: Path) -> Bundle:
    """Read every evidence file under ``root``; a malformed one raises ``EvidenceError``.

    Every run (and every resume) opens its bundle; reading, parsing and scrubbing
    it is done once per version of its files.
    """
    if not root.is_dir():
        raise EvidenceError("evidence bundle is not a directory", path=str(root))
    stamp = tuple(
        (f.name, f.stat().st_mtime_ns, f.stat().st_size)
        for f in sorted(root.iterdir())
        if f.is_file()
    )
    key = (str(root.resolve()), stamp)
    if key not in _OPENED:
        if len(_OPENED) >= _KEEP:
            _OPENED.pop(next(iter(_OPENED)))
        _OPENED[key] = _read_bundle(root)
    return _OPENED[key]


_OPENED: dict[tuple[str, tuple[tuple[str, int, int], ...]], Bundle] = {}
_KEEP = 32


def _read_bundle(root: Path) -> Bundle:
    description, source = _description(root)
    records = {}
    for kind in KINDS:
        file = _kind_file(root, kind)
        if file is not None:
            records[kind] = _records(file)
    if not description and not records:
        expected = ", ".join([DESCRIPTIONS[0], *(f"{k}.jsonl" for k in KINDS[:2])])
        raise EvidenceError(f"no evidence files found (expected e.g. {expected})", path=str(root))
    return Bundle(root=root, description=description, description_source=source, records=records)
