"""Partial re-dub bench: what editing one line costs against the first full run.

    .venv/bin/python bench/partial_redub_bench.py [--seconds 180] [--width 960 --height 540]

On a generated talking-face clip (the astronaut reading the sample script in Piper's voice:
a real face for the lip-sync stage, speech for the recogniser), English to Spanish:
1. a proofread (ingest .. translate) and a full generate (synthesize .. report), timed;
2. one line's translation edited (as the studio's PATCH stores it), generated again, timed.
Prints both times, the ratio (the target is at most 20 %), the stages' seconds of both runs
and the second run's `partial_redub` report section (segments redone and reused).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from polydub.config import Settings
from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.proofread import translate_only
from polydub.pipeline.runner import StageEvent
from polydub.samples import make_speaking_face_clip

TARGET = "es"


def timed_stages(events: list[StageEvent]) -> dict[str, float]:
    return {
        e.stage: round(e.seconds, 1)
        for e in events
        if e.status == "done" and not e.cached and e.target is not None
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--width", type=int, default=960)
    parser.add_argument("--height", type=int, default=540)
    parser.add_argument("--line", type=int, default=None, help="segment to edit (default: middle)")
    args = parser.parse_args()

    settings = Settings()
    engines = EngineSet(settings)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clip = root / "talk.mp4"
        made = time.perf_counter()
        make_speaking_face_clip(clip, args.seconds, width=args.width, height=args.height)
        print(
            f"clip: {args.seconds:.0f} s, {args.width}x{args.height}, "
            f"made in {time.perf_counter() - made:.1f} s"
        )
        work = root / "work"
        options = DubOptions(targets=(TARGET,), source_language="en", mode="speed")

        started = time.perf_counter()
        script = translate_only(clip, options, engines, work_root=work)[TARGET]
        proofread_s = time.perf_counter() - started
        first_events: list[StageEvent] = []
        started = time.perf_counter()
        (first,) = dub(
            clip,
            options,
            engines,
            work_root=work,
            output_stem=root / "out1",
            on_event=first_events.append,
        )
        generate_s = time.perf_counter() - started

        spoken = [s for s in script.segments if s.translation.strip()]
        seg = spoken[len(spoken) // 2] if args.line is None else script.segments[args.line]
        edited = f"{seg.translation.rstrip('.')} y nada más."
        edits = {TARGET: {seg.index: {"translation": edited}}}
        second_events: list[StageEvent] = []
        started = time.perf_counter()
        (second,) = dub(
            clip,
            replace(options, edits=edits),
            engines,
            work_root=work,
            output_stem=root / "out2",
            on_event=second_events.append,
        )
        redub_s = time.perf_counter() - started

        report = second.report
        full_s = proofread_s + generate_s
        print(
            f"lines: {len(spoken)}; edited segment {seg.index}: {seg.translation!r} -> {edited!r}"
        )
        print(
            f"first run: proofread {proofread_s:.1f} s + generate {generate_s:.1f} s "
            f"= {full_s:.1f} s"
        )
        print(f"re-dub after one edit: {redub_s:.1f} s")
        print(
            f"ratio to the full first run: {redub_s / full_s:.1%} (target <= 20%); "
            f"to its generate alone: {redub_s / generate_s:.1%}"
        )
        print("first generate stages (s):", timed_stages(first_events))
        print("re-dub stages (s):        ", timed_stages(second_events))
        section = report.get("partial_redub") or {}
        print("partial_redub:", json.dumps(section))
        print(
            f"segments redone {len(section.get('segments_redone', []))}, "
            f"reused {len(section.get('segments_reused', []))}; lip-sync frames redrawn "
            f"{(report.get('lipsync') or {}).get('edited_frames')} "
            f"of {(report.get('lipsync') or {}).get('frames')}"
        )


if __name__ == "__main__":
    main()
