"""The per-target report: what was done, by which engines, and how well, as JSON.

API clients read the report (GET a translation or lip sync), so it names files by base name
only: no absolute server path appears anywhere in it (build_report scrubs every string).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.probe import probe
from polydub.pipeline.artifacts import (
    DiarizationArtifact,
    FitArtifact,
    IngestArtifact,
    MixArtifact,
    RenderArtifact,
    SeparationArtifact,
    SynthesisArtifact,
    TranslationArtifact,
)
from polydub.pipeline.checkpoint import StageOutcome
from polydub.pipeline.language_check import LanguageCheck, check_language
from polydub.pipeline.quality import LOW_CONFIDENCE, QualityArtifact
from polydub.pipeline.report_html import render_report_html
from polydub.pipeline.translation_quality import LineQuality
from polydub.server_paths import scrub_strings
from polydub.storage.atomic import copy_atomic, write_text_atomic

if TYPE_CHECKING:
    from polydub.pipeline.lipsync_stage import LipSyncArtifact


@dataclass(frozen=True)
class SourceSide:
    """The source-side artifacts every target shares, and the keys targets build on."""

    ingested: IngestArtifact
    separated: SeparationArtifact
    diarized: DiarizationArtifact
    separation_key: str
    diarization_key: str
    transcriber: str = ""  # the recogniser's name ("whisper", "whisper:whisper-small", "srt")


@dataclass(frozen=True)
class TargetSide:
    target: str
    translated: TranslationArtifact
    synthesized: SynthesisArtifact
    fitted: FitArtifact
    mixed: MixArtifact
    rendered: RenderArtifact
    quality: QualityArtifact
    lipsync: LipSyncArtifact | None = None  # None: audio-only, or no video
    # What a partial re-dub redid and reused (pipeline/partial_redub.py); None: not tracked.
    partial_redub: dict | None = None


@dataclass
class DubResult:
    target: str
    video: Path
    srt: Path
    vtt: Path
    report_path: Path
    report: dict[str, Any]
    audio: Path | None = None  # the final soundtrack alone (AAC), for clients that want it


def build_report(
    source: SourceSide, dubbed: TargetSide, *, mode: str, outcomes: list[StageOutcome]
) -> dict[str, Any]:
    """The report of one dubbed target, free of server paths (files by base name)."""
    # Artifacts hold absolute paths (the lip-sync video, a source's location); a field added
    # to the report later must not leak one either, so the whole dict is scrubbed.
    return scrub_strings(_report_fields(source, dubbed, mode=mode, outcomes=outcomes))


def engine_names(source: SourceSide, dubbed: TargetSide) -> list[str]:
    """The names of the separator, recogniser, translator, voices and lip-sync renderer a
    target was dubbed with: what the report's `models` (pulled models used) is worked out from."""
    return [
        source.separated.separator,
        source.transcriber,
        dubbed.translated.engine,
        *dubbed.synthesized.voices.values(),
        *([dubbed.lipsync.renderer] if dubbed.lipsync else []),
    ]


def _report_fields(
    source: SourceSide, dubbed: TargetSide, *, mode: str, outcomes: list[StageOutcome]
) -> dict[str, Any]:
    transcript = source.diarized.transcript
    quality = {q.index: q for q in dubbed.translated.line_quality}
    ingested = source.ingested
    source_check = check_language(
        transcript.text,
        transcript.language,
        script_share=transcript.script_share,
        script_constrained=transcript.script_constrained,
    )
    return {
        "warnings": report_warnings(
            source_check,
            dubbed.quality.intelligibility.language_check,
            route_quality=dubbed.translated.route_quality,
            untranslated=[q for q in dubbed.translated.line_quality if q.untranslated],
            capped_stretches=sum(1 for st in dubbed.fitted.plan.stretches if st.capped),
        )
        # The lip-sync's own: no face, speaker not visible, lines left untouched.
        + (dubbed.lipsync.warnings if dubbed.lipsync else [])
        + [f"voice of {s.speaker}: {w}" for s in dubbed.quality.speakers for w in s.warnings],
        "source": {
            "file": ingested.source.name,
            "duration": ingested.info.duration,
            "language": transcript.language,
            "language_detected": transcript.language_detected,
            "language_probability": round(transcript.language_probability, 4),
            "language_low_confidence": transcript.language_detected
            and transcript.language_probability < LOW_CONFIDENCE,
            "language_check": source_check.model_dump(),
            "range": [ingested.range_start, ingested.range_end],
            "speakers": source.diarized.speakers,
            "diarization": source.diarized.method,
            "speaker_profiles": [
                {
                    "speaker": p.speaker,
                    "speech_seconds": p.speech_seconds,
                    "reference_seconds": p.reference_seconds,
                    "pitch_median": round(p.pitch.median, 1) if p.pitch else None,
                    "pitch_p10": round(p.pitch.p10, 1) if p.pitch else None,
                    "pitch_p90": round(p.pitch.p90, 1) if p.pitch else None,
                    "sex": p.gender or "unclear",
                }
                for p in source.diarized.profiles
            ],
        },
        "target": dubbed.target,
        "mode": mode,
        "engines": {
            "speech_recognition": source.transcriber or None,
            "separation": source.separated.separator,
            "enhancement": source.separated.enhancer,
            "translation": dubbed.translated.engine,
            "translation_route": dubbed.translated.route,
            "voices": dubbed.synthesized.voices,
        },
        "timing": dubbed.quality.timing.model_dump(),
        "intelligibility": dubbed.quality.intelligibility.model_dump(),
        "speakers": [s.model_dump() for s in dubbed.quality.speakers],
        "glossary_misses": [m.model_dump() for m in dubbed.translated.glossary_misses],
        "loudness_lufs": dubbed.mixed.integrated_lufs,
        "music_kept": dubbed.mixed.music_kept,
        "lipsync": dubbed.lipsync.model_dump(mode="json") if dubbed.lipsync else None,
        "translation": {
            "protected_terms": dubbed.translated.protected_terms,
            # Sentences predicted too long for their time, and what shorter phrasing did.
            "phrasing": [a.model_dump() for a in dubbed.translated.phrasing],
            # Worst first: what a reviewer should read before anything else.
            "lines_by_quality": [
                q.index for q in sorted(dubbed.translated.line_quality, key=lambda q: q.score)
            ],
        },
        "segments": [
            {
                "index": s.index,
                "speaker": s.speaker,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "translation": s.translation,
                "quality": quality[s.index].model_dump(exclude={"index"})
                if s.index in quality
                else None,
            }
            for s in dubbed.translated.segments
        ],
        "plan": dubbed.fitted.plan.model_dump(),
        "partial_redub": dubbed.partial_redub,
        "stages": [
            {"stage": o.name, "seconds": round(o.seconds, 3), "cached": o.cached} for o in outcomes
        ],
    }


def report_warnings(
    source: LanguageCheck,
    dub: LanguageCheck | None,
    *,
    route_quality: str | None = None,
    untranslated: list[LineQuality] = (),
    capped_stretches: int = 0,
) -> list[str]:
    """What a person should know before trusting the dub, one sentence each."""
    warnings = [f"translation: {route_quality}"] if route_quality else []
    if untranslated:
        words = sorted({w for q in untranslated for w in q.untranslated})
        warnings.append(
            f"translation: {len(untranslated)} lines keep source words the engine did not "
            f"translate ({', '.join(words[:8])}{', ...' if len(words) > 8 else ''})"
        )
    if capped_stretches:
        warnings.append(
            f"timing: {capped_stretches} lines needed more than the largest video slow-down "
            "and are spoken faster; see timing.stretches"
        )
    if source.problem:
        warnings.append(f"source transcript: {source.problem}")
    elif source.script_constrained:
        warnings.append(
            "source transcript: the recogniser first answered outside the language's script "
            "and was held to it; check the transcript"
        )
    if dub is not None and dub.problem:
        warnings.append(f"dub round trip: {dub.problem}")
    return warnings


def publish(
    dubbed: TargetSide, report: dict[str, Any], output_stem: Path, extension: str
) -> DubResult:
    """Copy the finished files next to the output stem, atomically, and write the report."""
    output_stem.parent.mkdir(parents=True, exist_ok=True)
    base = f"{output_stem}.{dubbed.target}"
    rendered = dubbed.rendered
    paths = {
        "video": Path(base + extension),
        "srt": Path(base + ".srt"),
        "vtt": Path(base + ".vtt"),
        "report": Path(base + ".report.json"),
    }
    for name, src in (("video", rendered.video), ("srt", rendered.srt), ("vtt", rendered.vtt)):
        copy_atomic(src, paths[name])
    write_text_atomic(paths["report"], json.dumps(report, indent=2, ensure_ascii=False))
    # The same report as charts, for a person (NAME.lang.report.html).
    write_text_atomic(Path(base + ".report.html"), render_report_html(report))
    audio = soundtrack(paths["video"], dubbed.mixed.mix_wav, Path(base + ".m4a"))
    return DubResult(
        dubbed.target, paths["video"], paths["srt"], paths["vtt"], paths["report"], report, audio
    )


def soundtrack(video: Path, mix_wav: Path, dest: Path) -> Path:
    """The dubbed soundtrack (HeyGen's audio_url): the rendered video's own AAC track, copied
    (encoding the mix again took ~2 s of CPU a minute), else the mix encoded as AAC."""
    audio = probe(video).audio
    if audio is None or audio.codec != "aac":
        return encode_audio_track(mix_wav, dest)
    return _write_audio(["-i", str(video), "-map", "0:a:0", "-c:a", "copy"], dest)


def encode_audio_track(mix_wav: Path, dest: Path) -> Path:
    """The dubbed soundtrack on its own, as AAC (HeyGen's audio_url): a fraction of the WAV's
    size."""
    return _write_audio(["-i", str(mix_wav), "-vn", "-c:a", "aac", "-b:a", "192k"], dest)


def _write_audio(args: list[str], dest: Path) -> Path:
    """Run ffmpeg with `args` into `dest`, written next to the other outputs under a temporary
    name, then moved in place."""
    partial = dest.with_name(dest.name + ".part.m4a")
    run_ffmpeg([*args, str(partial)])
    partial.replace(dest)
    return dest
