"""Where status updates go: a file (default), stdout, or a Slack-compatible webhook.

Stakeholder updates must never stop an incident run: a webhook that is down is
recorded, the update waits in an outbox, and it is sent again (before the new
one, keeping the order) on the next update. Every attempt is appended to the
thread's status log under the data directory, so the record of who was told
what survives the run.

Each update carries an idempotency key. An update whose key the log already
records as delivered is not sent again (a step re-run after a kill that came
between the delivery and the engine's ledger), and webhooks get the key as an
``Idempotency-Key`` header, so a receiver can drop the one duplicate a kill
between the POST and the log line could still cause.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

WEBHOOK_TIMEOUT = 10.0
WEBHOOK_ATTEMPTS = 2
"""Immediate tries per update; after that it waits in the outbox for the next update."""


@dataclass(frozen=True)
class Delivery:
    """What happened to one status update."""

    channel: str
    delivered: bool
    error: str | None = None
    queued: bool = False
    """Kept in the outbox to be sent again with the next update."""
    resent: int = 0
    """Earlier queued updates delivered along with this one."""


class Channel(Protocol):
    """Anything that can carry a status update to stakeholders."""

    name: str

    async def send(self, text: str, key: str) -> Delivery:
        """Deliver ``text`` once for ``key``; never raise for a delivery fault (return it)."""
        ...


def _safe(thread_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", thread_id) or "thread"


class StatusLog:
    """The thread's append-only record of status updates and how each went."""

    def __init__(self, data_dir: Path, thread_id: str) -> None:
        self.folder = data_dir / "status"
        self.path = self.folder / f"{_safe(thread_id)}.jsonl"
        self.outbox = self.folder / f"{_safe(thread_id)}.outbox.json"
        self.thread_id = thread_id

    def append(self, text: str, key: str, delivery: Delivery) -> None:
        """Record one attempt."""
        self.folder.mkdir(parents=True, exist_ok=True)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        entry = {
            "at": at,
            "thread_id": self.thread_id,
            "key": key,
            "text": text,
            **asdict(delivery),
        }
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def entries(self) -> list[dict[str, Any]]:
        """Every recorded attempt, oldest first."""
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def delivered(self, key: str) -> Delivery | None:
        """The delivery recorded for ``key`` when it reached its channel, else None."""
        for entry in self.entries():
            if entry.get("key") == key and entry.get("delivered"):
                return Delivery(
                    channel=entry["channel"], delivered=True, resent=entry.get("resent", 0)
                )
        return None

    def pending(self) -> list[tuple[str, str]]:
        """Updates (text, key) that failed and wait to be sent again."""
        if not self.outbox.is_file():
            return []
        items = json.loads(self.outbox.read_text(encoding="utf-8"))
        return [(i, "") if isinstance(i, str) else (i["text"], i["key"]) for i in items]

    def set_pending(self, items: list[tuple[str, str]]) -> None:
        """Replace the outbox."""
        self.folder.mkdir(parents=True, exist_ok=True)
        queued = [{"text": text, "key": key} for text, key in items]
        self.outbox.write_text(json.dumps(queued, ensure_ascii=False), encoding="utf-8")


class FileChannel:
    """The default: the status log itself is the channel (read it with any tool)."""

    name = "file"

    def __init__(self, log: StatusLog) -> None:
        self.log = log

    async def send(self, text: str, key: str) -> Delivery:
        """Append the update to the thread's status log (once for ``key``)."""
        earlier = self.log.delivered(key)
        if earlier is not None:
            return earlier
        delivery = Delivery(channel="file", delivered=True)
        self.log.append(text, key, delivery)
        return delivery


class StdoutChannel:
    """Print updates for whoever watches the terminal; still recorded in the log."""

    name = "stdout"

    def __init__(self, log: StatusLog) -> None:
        self.log = log

    async def send(self, text: str, key: str) -> Delivery:
        """Print the update and record it (once for ``key``)."""
        earlier = self.log.delivered(key)
        if earlier is not None:
            return earlier
        print(f"[status update] {text}", file=sys.stdout, flush=True)
        delivery = Delivery(channel="stdout", delivered=True)
        self.log.append(text, key, delivery)
        return delivery


class WebhookChannel:
    """A Slack-compatible incoming webhook (``POST {"text": ...}``)."""

    name = "webhook"

    def __init__(self, url: str, log: StatusLog, attempts: int = WEBHOOK_ATTEMPTS) -> None:
        self.url = url
        self.log = log
        self.attempts = attempts

    async def _post(self, client: httpx.AsyncClient, text: str, key: str) -> str | None:
        """None when delivered, else why not (after ``attempts`` tries)."""
        error = "not attempted"
        headers = {"Idempotency-Key": key} if key else {}
        for _ in range(self.attempts):
            try:
                response = await client.post(self.url, json={"text": text}, headers=headers)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if response.is_success:
                return None
            error = f"HTTP {response.status_code}: {response.text[:200]}"
        return error

    async def send(self, text: str, key: str) -> Delivery:
        """Send queued updates first (in order), then ``text``; queue whatever fails."""
        earlier = self.log.delivered(key)
        if earlier is not None:
            return earlier
        queue = [*self.log.pending(), (text, key)]
        resent = 0
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
            for index, (item, item_key) in enumerate(queue):
                error = await self._post(client, item, item_key)
                if error is not None:
                    self.log.set_pending(queue[index:])
                    delivery = Delivery(
                        channel="webhook", delivered=False, error=error, queued=True, resent=resent
                    )
                    self.log.append(text, key, delivery)
                    return delivery
                if index < len(queue) - 1:
                    resent += 1
        self.log.set_pending([])
        delivery = Delivery(channel="webhook", delivered=True, resent=resent)
        self.log.append(text, key, delivery)
        return delivery


def open_channel(
    data_dir: Path, thread_id: str, *, channel: str = "file", webhook_url: str | None = None
) -> Channel:
    """The channel a run's settings ask for (a webhook URL wins over ``channel``)."""
    log = StatusLog(data_dir, thread_id)
    if webhook_url:
        return WebhookChannel(webhook_url, log)
    if channel == "stdout":
        return StdoutChannel(log)
    return FileChannel(log)
