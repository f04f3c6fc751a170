"""Per-line timing of `polydub bench`'s cold dub: which line drifts, at which rate, why.

    .venv/bin/python bench/bench_timing_lines.py [--seconds 60]

Runs the bench's dub (same clip, cold caches, speed mode, to es) only up to the fit stage
(no mix, lipsync or render: about half the bench's CPU), then prints each line's plan
(source span, natural length, rate, tempo, dub length, lead, output start, start drift), the
video stretches and the report's timing figures, and exits. The matched voice is logged.
The figures are the bench's: the quality line's rate, drift and duration change come from
the same fit.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from pathlib import Path

from polydub.bench import bench_clip, cold_settings
from polydub.config import Settings
from polydub.pipeline import fit as fit_stage
from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.quality import timing_report


def _print_plan(translated, fitted) -> None:
    report = timing_report(translated, fitted)
    plan = fitted.plan
    for t in sorted(plan.segments, key=lambda t: t.output_start):
        drift = abs(t.output_start - plan.to_output_time(t.source_start))
        print(
            f"line {t.index:2d} src {t.source_start:6.2f}-{t.source_end:6.2f} natural "
            f"{t.natural_duration:5.2f} rate {t.rate:.3f} tempo {t.tempo:.3f} dub "
            f"{t.dub_duration:5.2f} eff {t.effective_rate:.3f} lead {t.lead:.2f} out "
            f"{t.output_start:6.2f} drift {drift * 1000:4.0f} ms"
        )
    stretches = [(round(s.start, 2), round(s.end, 2), round(s.factor, 3)) for s in plan.stretches]
    print(f"stretches {stretches}")
    print(
        f"rate p95 {report.rate_p95:.3f} max {report.rate_max:.3f} drift p95 "
        f"{report.start_drift_p95 * 1000:.0f} max {report.start_drift_max * 1000:.0f} ms, "
        f"duration change {report.duration_change:.2f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("polydub.pipeline.voice_matching").setLevel(logging.INFO)
    real_fit = fit_stage.fit

    def fit_then_stop(ingested, translated, synthesized, *rest, **options):
        fitted = real_fit(ingested, translated, synthesized, *rest, **options)
        _print_plan(translated, fitted)
        os._exit(0)  # the rest of the dub is not what this measures

    fit_stage.fit = fit_then_stop
    settings = Settings()
    clip = bench_clip(args.seconds, settings.cache_dir)
    with tempfile.TemporaryDirectory(prefix="polydub-bench-lines-") as tmp:
        root = Path(tmp)
        engines = EngineSet(cold_settings(settings, root))
        options = DubOptions(targets=("es",), mode="speed")
        dub(clip, options, engines, work_root=root / "work", output_stem=root / "out" / "clip")


if __name__ == "__main__":
    main()
