"""`polydub voices`, `polydub voices save`, and the --voice / --save-voice options."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from polydub.config import Settings
from polydub.errors import InvalidInputError


def speaker_names(pairs: list[str], option: str) -> tuple[tuple[str, str], ...]:
    """["SPEAKER_00=anna", ...] -> (("SPEAKER_00", "anna"), ...).

    Raises:
        InvalidInputError: a pair without "=".
    """
    out = []
    for pair in pairs:
        speaker, sep, name = pair.partition("=")
        if not sep or not speaker.strip() or not name.strip():
            raise InvalidInputError(f"{option} takes SPEAKER=NAME, got {pair!r}", param="voice")
        out.append((speaker.strip(), name.strip()))
    return tuple(out)


def print_voices(settings: Settings, language: str | None, console: Console) -> None:
    from polydub.domain.language import resolve_language
    from polydub.pipeline.engine_set import EngineSet
    from polydub.voice_catalog import list_voices

    code = None
    if language:
        try:
            code = resolve_language(language).code
        except ValueError as exc:
            raise InvalidInputError(str(exc), param="language") from exc
    table = Table("Voice id", "Kind", "Gender", "Languages")
    for entry in list_voices(EngineSet(settings).synthesizers, code):
        table.add_row(entry.id, entry.kind, entry.gender or "", ", ".join(entry.languages))
    console.print(table)


def save_matched_voice(settings: Settings, voice_id: str, name: str) -> str:
    from polydub.pipeline.engine_set import EngineSet
    from polydub.voice_catalog import save_voice

    return save_voice(EngineSet(settings).synthesizers, voice_id, name)
