"""`polydub translate`: check the request, fetch the input, run the pipeline with progress."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from polydub.config import Settings
from polydub.errors import InvalidInputError, PolydubError, client_message
from polydub.jobs.spec import JobSpec, MediaRef, dub_options
from polydub.pipeline.dub import SOURCE_STAGES, TARGET_STAGES, DubResult, StageEvent
from polydub.pipeline.lipsync_lines import lipsync_summary

logger = logging.getLogger(__name__)


class TargetsFailedError(PolydubError):
    """Some target languages failed; the others were dubbed and written."""

    code = "targets_failed"


def fetch_input(source: str, downloads: Path, *, max_bytes: int) -> tuple[Path, str]:
    """A local path as is; an http(s) URL downloaded once (by URL) into `downloads`.

    Returns the file and the name outputs are called after (the URL's file name for URLs).
    """
    parsed = urlparse(source)
    if parsed.scheme not in ("http", "https"):
        path = check_local_input(source)
        return path, path.stem
    from polydub.jobs.inputs import download

    # The CLI user names the URL themselves, so private addresses are allowed here; the size
    # limit and connect-time checks are the same as the service's.
    target = download(source, downloads, max_bytes=max_bytes, allow_private=True)
    return target, Path(parsed.path).stem or "video"


def check_local_input(source: str) -> Path:
    """The readable file `source` names (a URL is checked when fetched), or an error that
    says what is wrong with it: missing, a directory, unreadable."""
    import os

    path = Path(source).expanduser()
    if not path.exists():
        raise InvalidInputError(f"input file not found: {source}", param="video")
    if path.is_dir():
        raise InvalidInputError(f"{source} is a directory; give a video file", param="video")
    if not path.is_file() or not os.access(path, os.R_OK):
        raise InvalidInputError(f"cannot read {source}", param="video")
    return path


def run_translate(
    settings: Settings,
    source: str,
    targets: list[str],
    *,
    output_dir: Path | None,
    console: Console,
    glossary_path: Path | None = None,
    source_language: str | None = None,
    mode: str = "speed",
    save_voices: tuple[tuple[str, str], ...] = (),
    **flags,
) -> list[DubResult]:
    from polydub.domain.language import resolve_language
    from polydub.pipeline.dub import dub
    from polydub.pipeline.engine_set import EngineSet
    from polydub.pipeline.glossary import load_glossary_csv
    from polydub.pipeline.language_routes import check_heard_source, check_targets

    if mode not in ("speed", "precision"):
        raise InvalidInputError("mode must be speed or precision", param="mode")
    if urlparse(source).scheme not in ("http", "https"):
        check_local_input(source)  # before seconds of engine loading, not after
    engines = EngineSet(settings)
    source_code = None
    if source_language:
        try:
            source_code = resolve_language(source_language).code
        except ValueError as exc:
            raise InvalidInputError(str(exc), param="input_language") from exc
    codes = check_targets(engines, targets, source_code)
    if flags.get("saved_voices"):
        from polydub.voice_catalog import check_saved_voices

        check_saved_voices(engines.synthesizers, [name for _, name in flags["saved_voices"]])
    glossary = None
    if glossary_path is not None:
        try:
            glossary = load_glossary_csv(glossary_path)
        except (OSError, ValueError) as exc:
            raise InvalidInputError(
                f"cannot read glossary {glossary_path}: {exc}", param="glossary"
            ) from exc
    is_url = urlparse(source).scheme in ("http", "https")
    path, name = fetch_input(
        source, settings.data_dir / "downloads", max_bytes=settings.max_download_bytes
    )
    if source_code is None:
        check_heard_source(engines, codes, path)  # seconds, before the pipeline's minutes
    out_dir = output_dir or (Path.cwd() if is_url else path.parent)
    # The same typed spec a service job is made of, so both run the pipeline the same way.
    spec = JobSpec(
        kind="translation",
        video=MediaRef(kind="path", value=str(path)),
        source_language=source_code,
        mode=mode,
        glossary_terms=None if glossary is None else glossary.terms,
        **flags,
    )
    options = dub_options(
        spec,
        tuple(codes),
        resolve=lambda ref, _param: Path(ref.value),
        max_rate=settings.max_speech_rate,
        max_slowdown=settings.max_slowdown,
        target_lufs=settings.target_lufs,
    )
    view_kind = _ProgressView if console.is_terminal else _PlainProgress
    failures: dict[str, Exception] = {}
    with view_kind(console, codes) as view:
        results = dub(
            path,
            options,
            engines,
            work_root=settings.work_dir,
            output_stem=out_dir / name,
            on_event=view.update,
            on_target_error=failures.__setitem__,  # one target failing never stops the others
        )
    for result in results:
        print_summary(console, result)
    for target, exc in failures.items():
        logger.debug("target %s failed", target, exc_info=exc)
        console.print(f"[bold red]{escape(target)}: failed[/]: {escape(client_message(exc))}")
    if save_voices and results:
        save_speaker_voices(engines, results[0], save_voices, console)
    if failures:
        raise TargetsFailedError(
            f"{len(failures)} of {len(codes)} targets failed ({', '.join(failures)}); "
            f"the others were written"
        )
    return results


def save_speaker_voices(
    engines, result: DubResult, pairs: tuple[tuple[str, str], ...], console: Console
) -> None:
    """--save-voice SPEAKER=NAME: keep the voice matched to SPEAKER under NAME."""
    from polydub.voice_catalog import save_voice

    voices = result.report["engines"]["voices"]
    for speaker, name in pairs:
        if speaker not in voices:
            raise InvalidInputError(
                f"--save-voice: no speaker {speaker!r}; speakers: {', '.join(voices)}",
                param="voice",
            )
        console.print(
            f"saved {speaker}'s voice as {save_voice(engines.synthesizers, voices[speaker], name)}"
        )


class _ProgressView:
    """One progress bar per stage (source stages once, target stages per language); a
    stage's clock starts with the stage."""

    def __init__(self, console: Console, targets: list[str]) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks = {}
        for stage in SOURCE_STAGES:
            self.tasks[(stage, None)] = self.progress.add_task(
                stage, total=1.0, note="", start=False
            )
        for target in targets:
            for stage in TARGET_STAGES:
                # escape: rich would read "[es]" as a markup tag and drop it
                self.tasks[(stage, target)] = self.progress.add_task(
                    escape(stage_label(stage, target)), total=1.0, note="", start=False
                )

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, event: StageEvent) -> None:
        task = self.tasks.get((event.stage, event.target))
        if task is None:
            return
        self.progress.start_task(task)  # no-op once started
        if event.status == "done":
            note = "reused" if event.cached else f"{event.seconds:.1f}s"
            self.progress.update(task, completed=1.0, note=note)
        elif event.status == "progress":
            self.progress.update(task, completed=event.fraction)
        else:
            self.progress.update(task, note="running")


def stage_label(stage: str, target: str | None) -> str:
    """`synthesize [es]`: a stage, and the language it runs for (none for source stages)."""
    return f"{stage} [{target}]" if target else stage


class _PlainProgress:
    """Progress as plain lines, for output that is not a terminal (a log, a pipe): one line
    when a stage starts and one when it ends."""

    def __init__(self, console: Console, targets: list[str]) -> None:
        self.console = console
        self.started: set[tuple[str, str | None]] = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def update(self, event: StageEvent) -> None:
        key = (event.stage, event.target)
        label = stage_label(event.stage, event.target)
        if event.status == "done":
            note = "reused" if event.cached else f"{event.seconds:.1f}s"
            self.console.print(f"{label}: done ({note})", markup=False, highlight=False)
        elif key not in self.started and event.status != "done":
            self.started.add(key)
            self.console.print(f"{label}: started", markup=False, highlight=False)


def readable(value: object) -> str:
    """A report value for people: mappings as `key=value` pairs, lists comma-separated."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={readable(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(readable(v) for v in value) or "none"
    return str(value)


def print_summary(console: Console, result: DubResult) -> None:
    r = result.report
    timing, intel = r["timing"], r["intelligibility"]
    source = r["source"]
    lang_note = ""
    if source["language_detected"]:
        lang_note = f" (detected, p={source['language_probability']:.2f}"
        lang_note += ", LOW CONFIDENCE)" if source["language_low_confidence"] else ")"
    console.print(f"[bold]{escape(result.target)}[/]: {escape(str(result.video))}")
    console.print(
        escape(
            f"  source {source['language']}{lang_note} -> {r['target']} via "
            f"{readable(r['engines']['translation'])}; voices {readable(r['engines']['voices'])}"
        )
    )
    console.print(
        f"  timing: {timing['segments']} lines, rate p95 {timing['rate_p95']:.2f} max "
        f"{timing['rate_max']:.2f}, start drift p95 {timing['start_drift_p95'] * 1000:.0f} ms, "
        f"truncated {timing['truncated_segments']}, dropped {timing['dropped_segments']}, "
        f"duration {timing['source_duration']:.2f}s -> {timing['output_duration']:.2f}s"
    )
    console.print(f"  intelligibility: {_wer_text(intel)}; loudness {r['loudness_lufs']:.1f} LUFS")
    for s in r.get("speakers", []):
        console.print(f"  {_speaker_text(s)}")
    if r["glossary_misses"]:
        misses = ", ".join(
            f"{m['source_term']}->{m['target_term']} (line {m['segment']})"
            for m in r["glossary_misses"]
        )
        console.print(f"  [yellow]glossary terms that did not survive[/]: {misses}")
    if r.get("lipsync"):
        console.print(f"  {escape(lipsync_summary(r['lipsync']))}")
    for warning in r.get("warnings", []):
        console.print(f"  [yellow]warning[/]: {escape(warning)}")
    console.print(
        f"  captions: {result.srt.name}, {result.vtt.name}; report: {result.report_path.name}"
    )


def _wer_text(intel: dict) -> str:
    if intel["wer"] is None:
        return "not measured (no script)"
    return f"WER {intel['wer'] * 100:.1f}% over {intel['reference_words']} words"


def _speaker_text(s: dict) -> str:
    """One speaker's voice line: similarity of the dub to them, and pitch."""

    def num(x, fmt: str = ".2f") -> str:
        return "n/a" if x is None else format(x, fmt)

    start = ""
    if s.get("stock_similarity") is not None:
        start = f" (stock {s['stock_voice']} {num(s['stock_similarity'])} on the probe)"
    return (
        f"{s['speaker']}: {s['voice']}, similarity {num(s['similarity'])}"
        f" / cross-check {num(s['similarity_crosscheck'])}{start};"
        f" pitch {num(s['source_pitch_median'], '.0f')} Hz ({s.get('source_sex') or 'unclear'})"
        f" -> {num(s['dub_pitch_median'], '.0f')} Hz"
        f" ({num(s.get('pitch_error_semitones'), '+.1f')} semitones)"
    )
