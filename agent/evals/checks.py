"""Deterministic scorers: checks over a transcript that need no model.

Each check is a one-key mapping in a suite's ``scorers:`` (or a skill's
``scorers.yaml``). ``PATH`` is an RFC 9535 JSONPath into the transcript
document, e.g. ``$.outputs.severity`` or
``$.steps[?@.id == 'mitigate'].tool_calls[*].name``; tool results that are
JSON text are addressed as JSON. Text checks look at the *items* a path
selects: a list gives its elements, a mapping its ``key: value`` entries, a
string its non-empty lines, anything else itself. A path that selects nothing
fails the check; nothing passes vacuously.

    present: PATH                                  some non-empty value there
    count: {path, pattern?, min: 1, max?}          how many items (matching pattern)
    matches: {path, pattern, each: false}          some item matches (every item if each)
    not_matches: {path, pattern}                   no item matches (e.g. blame wording)
    equals: {path, value | expected: KEY, collect: false}
                                                   every value equals it (collect: the
                                                   list of values equals it, any order)
    in: {path, values | expected: KEY}             every value is one of them
    compare: {path, min?, max?, which: all}        numbers within bounds (all, any, last)
    order: [MOMENT, MOMENT, ...]                   these moments happened in this order
    within: {from: MOMENT | [MOMENT...], to: MOMENT, max: 5m}
                                                   time from the first resolvable ``from``
    tool_called: {calls: [{name, args}], mode: subset | unordered | strict, step?}
    asked: TRIGGER | {expected: KEY, only: false}  a question was asked for the trigger(s)
    cites_evidence: {path, min_share: 1.0}         the text cites the evidence refs the
                                                   run's tools returned

``expected: KEY`` reads the scenario's ground truth; a missing key errors.
MOMENT selectors: :mod:`agent.evals.timeline`. ``tool_called`` modes: *subset*
(each listed call was made; listed args are a subset of the call's), *unordered*
(exactly the listed calls, args equal, any order), *strict* (exactly the listed
calls, args equal, in order). Patterns are Python regexes, searched per item.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import jsonpath
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from agent.evals.timeline import Moment, Timeline, check_selector

if TYPE_CHECKING:  # annotations only: validate checks scorer files without the engine
    from agent.engine.transcript import Transcript

# --- inputs and outcomes -----------------------------------------------------------------


@dataclass
class Subject:
    """One transcript as the checks see it, with the scenario's ground truth."""

    transcript: Transcript
    expected: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.doc: dict[str, Any] = self.transcript.model_dump(mode="json")
        for step in self.doc["steps"]:
            for call in step["tool_calls"]:
                call["result"] = _decoded(call["result"])
        self.timeline = Timeline(self.transcript)


def _decoded(result: Any) -> Any:
    """A tool result that is JSON text, as JSON, so paths reach into it; else as is."""
    if isinstance(result, str) and result.lstrip().startswith(("{", "[")):
        try:
            return json.loads(result)
        except ValueError:
            return result
    return result


@dataclass(frozen=True)
class Outcome:
    """One check's verdict; ``error`` means it could not be decided (counts as failed)."""

    passed: bool
    comment: str
    evidence: tuple[str, ...] = ()
    error: str | None = None
    score: float | None = None
    """A graded score in 0..1 (the judge's); otherwise 1 when passed, 0 when not."""


class CheckError(Exception):
    """The check cannot be decided on this transcript (e.g. a missing expected value)."""


# --- value helpers ---------------------------------------------------------------------


def _compiled(path: str) -> str:
    try:
        jsonpath.compile(path)
    except jsonpath.JSONPathError as exc:
        raise ValueError(f"bad JSONPath {path!r}: {' '.join(str(exc).split())}") from None
    return path


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad pattern {pattern!r}: {exc}") from None
    return pattern


JSONPath = Annotated[str, AfterValidator(_compiled)]
"""A JSONPath string, checked when the suite is loaded."""
Pattern = Annotated[str, AfterValidator(_regex)]


@functools.lru_cache(maxsize=256)
def _query(path: str) -> Any:
    return jsonpath.compile(path)


def _select(subject: Subject, path: str) -> tuple[list[Any], list[str]]:
    matches = list(_query(path).finditer(subject.doc))
    return [m.obj for m in matches], [m.path for m in matches]


def _select_items(subject: Subject, path: str) -> tuple[list[str], tuple[str, ...]]:
    """The text items of everything at ``path``, and where those values sit."""
    values, where = _select(subject, path)
    return [i for v in values for i in _items(v)], tuple(where)


def _nothing(path: str) -> Outcome:
    return Outcome(False, f"nothing at {path}")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _items(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
    elif isinstance(value, dict):
        for key, item in value.items():
            text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
            yield f"{key}: {text}"
    elif isinstance(value, str):
        yield from (line for line in value.splitlines() if line.strip())
    elif value is not None:
        yield json.dumps(value, ensure_ascii=False)


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _expected(subject: Subject, key: str) -> Any:
    if key not in subject.expected:
        raise CheckError(f"the scenario has no expected.{key}")
    return subject.expected[key]


def _duration(value: Any) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"bad duration {value!r}: it cannot be negative")
        return timedelta(seconds=value)
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", str(value))
    if not found:
        raise ValueError(f"bad duration {value!r}: use e.g. 90s, 5m, 48h, 2d or seconds")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[found[2]]
    return timedelta(seconds=float(found[1]) * unit)


def _same(left: Any, right: Any) -> bool:
    """JSON equality: like ``==``, except that ``true`` is not ``1`` and ``false`` is not ``0``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(v, right[k]) for k, v in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return bool(left == right)


def _fmt(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    return (
        f"{sign}{hours}h{rest // 60:02d}m{rest % 60:02d}s"
        if hours
        else (f"{sign}{rest // 60}m{rest % 60:02d}s")
    )


# --- checks ----------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def run(self, subject: Subject) -> Outcome:
        """Decide this check on one transcript."""
        raise NotImplementedError


def _path_only(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class Present(_Spec):
    """Something non-empty sits at ``path`` (an output was produced)."""

    path: JSONPath

    def run(self, subject: Subject) -> Outcome:
        values, where = _select(subject, self.path)
        found = [(v, w) for v, w in zip(values, where, strict=True) if not _empty(v)]
        if not found:
            return _nothing(self.path)
        return Outcome(True, f"{self.path} is set", tuple(w for _, w in found))


class Count(_Spec):
    """At least ``min`` (at most ``max``) items, optionally only those matching ``pattern``."""

    path: JSONPath
    pattern: Pattern | None = None
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> Count:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}: the check could never pass")
        return self

    def run(self, subject: Subject) -> Outcome:
        values, where = _select(subject, self.path)
        if not values:
            return _nothing(self.path)
        items = [i for v in values for i in _items(v)]
        if self.pattern is not None:
            items = [i for i in items if re.search(self.pattern, i)]
        n = len(items)
        ok = n >= self.min and (self.max is None or n <= self.max)
        bounds = f">= {self.min}" + (f" and <= {self.max}" if self.max is not None else "")
        what = "matching items" if self.pattern else "items"
        return Outcome(ok, f"{n} {what} at {self.path} (need {bounds})", tuple(where))


class Matches(_Spec):
    """Some item (every item with ``each``) matches ``pattern``."""

    path: JSONPath
    pattern: Pattern
    each: bool = False

    def run(self, subject: Subject) -> Outcome:
        items, where = _select_items(subject, self.path)
        if not items:
            return _nothing(self.path)
        hits = [i for i in items if re.search(self.pattern, i)]
        if self.each:
            misses = [i for i in items if i not in hits]
            if misses:
                comment = f"{len(misses)} item(s) do not match: {_short(misses[0])!r}"
                return Outcome(False, comment, where)
            return Outcome(True, f"all {len(items)} items match", where)
        if hits:
            return Outcome(True, f"matches: {_short(hits[0])!r}", where)
        return Outcome(False, f"no item at {self.path} matches `{self.pattern}`", where)


class NotMatches(_Spec):
    """No item matches ``pattern`` (e.g. blame wording)."""

    path: JSONPath
    pattern: Pattern

    def run(self, subject: Subject) -> Outcome:
        items, where = _select_items(subject, self.path)
        if not items:
            return _nothing(self.path)
        hits = [i for i in items if re.search(self.pattern, i)]
        if hits:
            return Outcome(False, f"forbidden wording: {_short(hits[0])!r}", where)
        return Outcome(True, f"no item matches the forbidden pattern ({len(items)})", where)


class _Expecting(_Spec):
    path: JSONPath
    expected: str | None = None


class Equals(_Expecting):
    """Every value at ``path`` equals ``value`` (or the scenario's ``expected`` value).

    With ``collect``, the list of all values at ``path`` must equal the given
    list in any order, and selecting nothing is the empty list (e.g. "proposed
    no mitigation action").
    """

    value: Any = None
    collect: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> Equals:
        if (self.expected is None) == ("value" not in self.model_fields_set):
            raise ValueError("give exactly one of `value` and `expected`")
        return self

    def run(self, subject: Subject) -> Outcome:
        want = self.value if self.expected is None else _expected(subject, self.expected)
        values, where = _select(subject, self.path)
        if self.collect:
            return _same_values(self.path, values, want, where)
        if not values:
            return _nothing(self.path)
        wrong = [v for v in values if not _same(v, want)]
        if wrong:
            return Outcome(False, f"{self.path} is {wrong[0]!r}, want {want!r}", tuple(where))
        return Outcome(True, f"{self.path} == {want!r}", tuple(where))


def _same_values(path: str, values: list[Any], want: Any, where: list[str]) -> Outcome:
    if not isinstance(want, list):
        raise CheckError(f"`collect` compares with a list, got {want!r}")
    if _same_multiset(values, want, _same):
        return Outcome(True, f"{path} holds {values!r}", tuple(where))
    return Outcome(False, f"{path} holds {values!r}, want {want!r}", tuple(where))


def _same_multiset(actual: list[Any], wanted: list[Any], same: Callable[[Any, Any], bool]) -> bool:
    """Each wanted item matches its own actual item, none left over (values may be unhashable)."""
    left = list(actual)
    for want in wanted:
        hit = next((i for i, item in enumerate(left) if same(item, want)), None)
        if hit is None:
            return False
        del left[hit]
    return not left


class In(_Expecting):
    """Every value at ``path`` is one of ``values`` (or of the scenario's ``expected``)."""

    values: list[Any] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> In:
        if (self.expected is None) == (self.values is None):
            raise ValueError("give exactly one of `values` and `expected`")
        return self

    def run(self, subject: Subject) -> Outcome:
        allowed = self.values if self.expected is None else _expected(subject, self.expected)
        if not isinstance(allowed, list):
            allowed = [allowed]
        values, where = _select(subject, self.path)
        if not values:
            return _nothing(self.path)
        wrong = [v for v in values if not any(_same(v, a) for a in allowed)]
        if wrong:
            return Outcome(False, f"{self.path} has {wrong[0]!r}, not in {allowed!r}", tuple(where))
        return Outcome(True, f"{self.path} in {allowed!r}", tuple(where))


class Compare(_Spec):
    """The numbers at ``path`` lie within ``min``/``max`` (all of them, any, or the last)."""

    path: JSONPath
    min: float | None = None
    max: float | None = None
    which: Literal["all", "any", "last"] = "all"

    @model_validator(mode="after")
    def _bounded(self) -> Compare:
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}: nothing could pass")
        return self

    def _holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def run(self, subject: Subject) -> Outcome:
        values, where = _select(subject, self.path)
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if not numbers:
            return Outcome(False, f"no number at {self.path}")
        picked = numbers[-1:] if self.which == "last" else numbers
        held = [v for v in picked if self._holds(v)]
        ok = bool(held) if self.which == "any" else len(held) == len(picked)
        bounds = " and ".join(
            f"{op} {b:g}" for op, b in ((">=", self.min), ("<=", self.max)) if b is not None
        )
        shown = ", ".join(f"{v:g}" for v in picked)
        return Outcome(ok, f"{self.path} ({self.which}) = {shown}; need {bounds}", tuple(where))


def _moment(value: Any) -> Any:
    check_selector(value)
    return value


Selector = Annotated[Any, AfterValidator(_moment)]


def _missing(label: str) -> Outcome:
    return Outcome(False, f"the run has no moment `{label}`")


class Order(_Spec):
    """The moments happened in the listed order (first occurrence of each)."""

    moments: list[Selector] = Field(min_length=2)

    @model_validator(mode="after")
    def _ordered(self) -> Order:
        for selector in self.moments:
            if isinstance(selector, dict) and "input" in selector:
                raise ValueError(
                    f"{check_selector(selector)} has a time but no place in the run's order; "
                    "use it in `within`"
                )
        return self

    def run(self, subject: Subject) -> Outcome:
        found: list[Moment] = []
        for selector in self.moments:
            moment = subject.timeline.find(selector)
            if moment is None:
                return _missing(check_selector(selector))
            found.append(moment)
        pointers = tuple(m.pointer for m in found)
        for before, after in itertools.pairwise(found):
            if before.seq == after.seq:
                comment = f"`{before.label}` and `{after.label}` are the same moment, not in order"
                return Outcome(False, comment, pointers)
            if before.seq > after.seq:
                return Outcome(False, f"`{after.label}` came before `{before.label}`", pointers)
        return Outcome(True, " < ".join(f"`{m.label}`" for m in found), pointers)


def _listed(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


class Within(_Spec):
    """At most ``max`` passed between ``from`` (first that resolves) and ``to``."""

    start: Annotated[list[Selector], BeforeValidator(_listed)] = Field(alias="from", min_length=1)
    to: Selector
    max: Annotated[timedelta, BeforeValidator(_duration)]

    def run(self, subject: Subject) -> Outcome:
        end = subject.timeline.find(self.to)
        if end is None or end.at is None:
            return _missing(check_selector(self.to))
        start = next(
            (m for s in self.start if (m := subject.timeline.find(s)) and m.at is not None), None
        )
        if start is None or start.at is None:
            return _missing(" or ".join(check_selector(s) for s in self.start))
        delta = end.at - start.at
        ok = delta <= self.max
        verb = "within" if ok else "more than"
        comment = f"`{end.label}` {_fmt(delta)} after `{start.label}` ({verb} {_fmt(self.max)})"
        return Outcome(ok, comment, (start.pointer, end.pointer))


class Call(BaseModel):
    """A tool call to look for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class ToolCalled(_Spec):
    """The run called these tools (see the module docstring for the three modes)."""

    calls: list[Call] = Field(min_length=1)
    mode: Literal["subset", "unordered", "strict"] = "subset"
    step: str | None = None

    def _made(self, subject: Subject) -> list[tuple[Call, str]]:
        made = []
        for i, step in enumerate(subject.transcript.steps):
            if self.step is not None and step.id != self.step:
                continue
            for j, call in enumerate(step.tool_calls):
                made.append((Call(name=call.name, args=call.args), f"$.steps[{i}].tool_calls[{j}]"))
        return made

    def run(self, subject: Subject) -> Outcome:
        made = self._made(subject)
        where = f" in step {self.step}" if self.step else ""
        if self.mode == "subset":
            hits: list[str] = []
            for want in self.calls:
                hit = next((p for c, p in made if _subset_call(want, c)), None)
                if hit is None:
                    return Outcome(False, f"no {want.name}{_args(want)} call{where}")
                hits.append(hit)
            called = ", ".join(c.name for c in self.calls)
            return Outcome(True, f"called {called}{where}", tuple(dict.fromkeys(hits)))
        actual = [c for c, _ in made]
        pointers = tuple(p for _, p in made)
        same = (
            len(actual) == len(self.calls) and all(map(_same_call, actual, self.calls))
            if self.mode == "strict"
            else _same_multiset(actual, self.calls, _same_call)
        )
        if same:
            return Outcome(True, f"calls{where} match ({self.mode})", pointers)
        got = ", ".join(c.name for c in actual) or "none"
        return Outcome(False, f"calls{where} differ ({self.mode}): got {got}", pointers)


def _subset_call(want: Call, call: Call) -> bool:
    return want.name == call.name and all(
        k in call.args and _same(call.args[k], v) for k, v in want.args.items()
    )


def _same_call(made: Call, want: Call) -> bool:
    return made.name == want.name and _same(made.args, want.args)


def _args(call: Call) -> str:
    return f"({json.dumps(call.args, ensure_ascii=False)})" if call.args else ""


class Asked(_Spec):
    """A question was asked for ``trigger``, or for every trigger the scenario expects."""

    trigger: str | None = None
    expected: str | None = None
    only: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"trigger": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> Asked:
        if (self.trigger is None) == (self.expected is None):
            raise ValueError("give exactly one of `trigger` and `expected`")
        return self

    def run(self, subject: Subject) -> Outcome:
        wanted = [self.trigger] if self.trigger else _expected(subject, str(self.expected))
        if not (isinstance(wanted, list) and all(isinstance(t, str) for t in wanted)):
            raise CheckError(f"expected.{self.expected} must be a list of trigger ids")
        asked = [q.trigger for q in subject.transcript.questions if q.trigger]
        pointers = tuple(
            f"$.questions[{i}]" for i, q in enumerate(subject.transcript.questions) if q.trigger
        )
        missing = [t for t in wanted if t not in asked]
        if missing:
            return Outcome(False, f"never asked for {', '.join(missing)}", pointers)
        extra = sorted(set(asked) - set(wanted))
        if self.only and extra:
            return Outcome(False, f"also asked for {', '.join(extra)}", pointers)
        return Outcome(True, f"asked for {', '.join(wanted) or 'nothing, as expected'}", pointers)


def _refs(value: Any) -> Iterator[str]:
    """Evidence refs (``file:line``) anywhere in a (decoded) tool result."""
    if isinstance(value, dict):
        ref = value.get("ref")
        if isinstance(ref, str):
            yield ref
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _cited(ref: str, text: str) -> bool:
    """``ref`` appears in ``text`` on its own: ``logs.jsonl:12`` does not cite ``logs.jsonl:1``."""
    return re.search(rf"(?<![\w.-]){re.escape(ref)}(?!\w)", text) is not None


class CitesEvidence(_Spec):
    """The text at ``path`` cites (by ref) the evidence the run's tools returned."""

    path: JSONPath
    min_share: float = Field(default=1.0, gt=0, le=1)

    def run(self, subject: Subject) -> Outcome:
        items, where = _select_items(subject, self.path)
        text = "\n".join(items)
        if not text:
            return _nothing(self.path)
        # Tool results as Subject decoded them, so JSON text is walked as JSON once.
        results = [c["result"] for s in subject.doc["steps"] for c in s["tool_calls"]]
        refs = sorted({r for result in results for r in _refs(result)})
        if not refs:
            return Outcome(False, "the run's tools returned no evidence refs to cite", where)
        uncited = [r for r in refs if not _cited(r, text)]
        share = 1 - len(uncited) / len(refs)
        ok = share >= self.min_share
        comment = f"cites {len(refs) - len(uncited)}/{len(refs)} evidence refs"
        if uncited:
            comment += f"; missing {', '.join(uncited[:5])}" + ("…" if len(uncited) > 5 else "")
        return Outcome(ok, comment, where)


CHECKS: dict[str, type[_Spec]] = {
    "present": Present,
    "count": Count,
    "matches": Matches,
    "not_matches": NotMatches,
    "equals": Equals,
    "in": In,
    "compare": Compare,
    "order": Order,
    "within": Within,
    "tool_called": ToolCalled,
    "asked": Asked,
    "cites_evidence": CitesEvidence,
}
"""Check kinds by their key in a suite file."""

SHORTHAND: dict[str, Any] = {"present": _path_only, "order": lambda v: {"moments": v}}


def build_check(kind: str, value: Any) -> _Spec:
    """The check ``kind`` configured by ``value`` (pydantic's ValidationError if malformed)."""
    prepare = SHORTHAND.get(kind, lambda v: v)
    return CHECKS[kind].model_validate(prepare(value))


def run_check(check: _Spec, subject: Subject) -> Outcome:
    """``check.run`` with undecidable cases reported as errors, never as passes."""
    try:
        return check.run(subject)
    except CheckError as exc:
        return Outcome(False, str(exc), error=str(exc))
    except Exception as exc:  # a transcript shape no check foresaw: this check errors, not all
        message = f"check crashed on this transcript: {type(exc).__name__}: {exc}"
        return Outcome(False, message, error=message)
