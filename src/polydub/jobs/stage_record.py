"""What a job's steps did, stage by stage.

A translation runs in steps (source side, then its language's speech, then its picture), and
each step replays the earlier steps' stages from their checkpoints. The report the last step
builds would call every earlier stage "cached"; the record kept here, in the blob store so
steps on other workers add to it, says which stages this job ran and which it reused.
"""

from __future__ import annotations

import json

from polydub.pipeline.runner import StageEvent


class StageRecorder:
    """Collects the stages a step finished (an on_event callback)."""

    def __init__(self) -> None:
        self.records: list[dict] = []

    def __call__(self, event: StageEvent) -> None:
        if event.status == "done":
            self.records.append(
                {
                    "stage": event.stage,
                    "target": event.target,
                    "seconds": round(event.seconds, 3),
                    "cached": event.cached,
                }
            )


def record_key(blob_prefix: str) -> str:
    return f"{blob_prefix}/stages.json"


def load_record(blobs, blob_prefix: str) -> list[dict]:
    key = record_key(blob_prefix)
    if not blobs.exists(key):
        return []
    return json.loads(blobs.path(key).read_text("utf-8"))


def add_to_record(blobs, blob_prefix: str, records: list[dict]) -> None:
    """Merge a step's records into the job's: a stage an earlier step ran stays "ran"."""
    merged = merge(load_record(blobs, blob_prefix), records)
    blobs.put_bytes(record_key(blob_prefix), json.dumps(merged).encode("utf-8"))


def merge(earlier: list[dict], later: list[dict]) -> list[dict]:
    """`later` in its order, where a stage it reused from a checkpoint that an earlier step of
    the job made takes that step's record; stages only `earlier` knows come first."""
    ran = {(r["stage"], r["target"]): r for r in earlier if not r["cached"]}
    later_keys = {(r["stage"], r["target"]) for r in later}
    kept = [r for r in earlier if (r["stage"], r["target"]) not in later_keys]
    return kept + [ran.get((r["stage"], r["target"]), r) if r["cached"] else r for r in later]


def report_stages(report_stages: list[dict], record: list[dict]) -> list[dict]:
    """The report's "stages" list with what the job's earlier steps ran marked as run."""
    ran = {r["stage"]: r for r in record if not r["cached"]}
    return [
        {**entry, "seconds": ran[entry["stage"]]["seconds"], "cached": False}
        if entry["cached"] and entry["stage"] in ran
        else entry
        for entry in report_stages
    ]
