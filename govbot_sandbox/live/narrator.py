"""What the live sandbox tells its watcher: CloudTrail records, govbot's decisions and
actions, Slack messages. One line each, as they happen.

CloudTrail records also go, one JSON object per line, to an optional JSON Lines file.
"""

from __future__ import annotations

import json
import threading
from typing import Any, TextIO

from govbot.ledger import ActionRecord, DecisionRecord, EventRecord, Ledger

# How many pump rounds a record's ledger story is awaited before the narrator stops asking
# (govbot's own calls and read-only noise never reach the ledger).
STORY_PATIENCE = 50
# Replication sweeps that change nothing are told once per this many (an hour of the
# deployed 5-minute schedule), not one line each.
QUIET_SWEEPS_PER_LINE = 12


def describe_record(record: dict[str, Any]) -> str:
    """``cloudtrail  alice@123456789012 UpdateImagePermissions {...} -> errorCode``."""
    who = record.get("userIdentity") or {}
    name = str(who.get("arn") or "?").rsplit("/", 1)[-1]
    params = record.get("requestParameters") or {}
    shown = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    outcome = f" -> {record['errorCode']}" if record.get("errorCode") else ""
    return (
        f"cloudtrail {name}@{who.get('accountId', '?')} {record.get('awsRegion', '?')} "
        f"{record.get('eventName', '?')} {shown}{outcome}"
    )


def describe_ledger(record: Any) -> str:
    """One ledger record as a line (event, decision or action)."""
    if isinstance(record, EventRecord):
        why = record.note or record.reason or ""
        return f"govbot     event {record.event_name} [{record.status}] {why}".rstrip()
    if isinstance(record, DecisionRecord):
        return (
            f"govbot     decision {record.rule_id}: {record.outcome} ({record.applied_mode}) - "
            f"{record.reason}"
        )
    if isinstance(record, ActionRecord):
        granted = record.request.get("ImagePermissions")
        what = json.dumps(granted) if granted else "(whole share removed)"
        return (
            f"govbot     action {record.operation} {what} for {record.shared_account_id}: "
            f"{record.status}"
        )
    return f"govbot     {record!r}"


class Narrator:
    """Prints records as they come (thread-safe) and follows their ledger stories."""

    def __init__(self, out: TextIO | None, jsonl: TextIO | None = None) -> None:
        self.out = out
        self.jsonl = jsonl
        self._lock = threading.Lock()
        self._awaiting: dict[str, int] = {}
        self._slack_seen = 0
        self._last_sweep: dict[str, Any] | None = None
        self._quiet_sweeps = 0

    def say(self, text: str) -> None:
        """Print one line (nothing when quiet)."""
        if self.out is None:
            return
        with self._lock:
            print(text, file=self.out, flush=True)

    def cloudtrail(self, envelope: dict[str, Any]) -> None:
        """An event sink: narrate the record, log it, await govbot's story of it."""
        record = envelope.get("detail") or {}
        if self.jsonl is not None:
            line = json.dumps(record, default=str, allow_nan=False)  # JSON Lines: valid JSON
            with self._lock:
                self.jsonl.write(line + "\n")
                self.jsonl.flush()
        if record.get("readOnly"):
            return  # Describe/List calls: in the log and /_govbot/events, not on the console
        self.say(describe_record(record))
        event_id = record.get("eventID")
        if event_id and not record.get("errorCode"):
            with self._lock:
                self._awaiting[str(event_id)] = STORY_PATIENCE

    def follow(self, ledger: Ledger) -> None:
        """Print the ledger story of every awaited record govbot has handled by now."""
        with self._lock:
            awaiting = dict(self._awaiting)
        for event_id, patience in awaiting.items():
            bundle = ledger.get_event(event_id)
            done = bundle.event is not None and bundle.event.status != "received"
            if done:
                for record in (bundle.event, *bundle.decisions, *bundle.actions):
                    self.say(describe_ledger(record))
            with self._lock:
                if done or patience <= 1:
                    self._awaiting.pop(event_id, None)
                else:
                    self._awaiting[event_id] = patience - 1

    def slack(self, delivered: list[Any]) -> None:
        """Print the Slack messages delivered since the last call."""
        messages = [m for m in delivered if isinstance(m, dict)]
        for message in messages[self._slack_seen :]:
            self.say(f"slack      {message.get('text', '')}")
        self._slack_seen = max(self._slack_seen, len(messages))

    def replication_sweep(self, report: dict[str, Any]) -> None:
        """Tell a replication sweep when it found or did something new; quiet ones are
        summed up, one line per ``QUIET_SWEEPS_PER_LINE``."""
        acted = any(report.get(k) for k in ("sources_deleted", "retention", "errors"))
        if acted or report != self._last_sweep:
            self._last_sweep = report
            jobs = ", ".join(f"{n} {state}" for state, n in sorted(report.get("jobs", {}).items()))
            self.say(
                f"schedule   replication sweep: {report.get('sources', 0)} golden source(s), "
                f"copy jobs: {jobs or 'none'}"
                + "".join(
                    f"; {k} {report[k]}"
                    for k in ("sources_deleted", "retention", "errors")
                    if report.get(k)
                )
            )
            return
        self._quiet_sweeps += 1
        if self._quiet_sweeps >= QUIET_SWEEPS_PER_LINE:
            self.say(f"schedule   {self._quiet_sweeps} replication sweeps, nothing new")
            self._quiet_sweeps = 0

    def reset(self) -> None:
        """Forget awaited stories, seen messages and sweeps (after a world reset)."""
        with self._lock:
            self._awaiting.clear()
            self._slack_seen = 0
            self._last_sweep = None
            self._quiet_sweeps = 0
