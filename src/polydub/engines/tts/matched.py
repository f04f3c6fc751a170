"""Matched voices: a tuned Kokoro style plus a pitch/formant change and a matching EQ,
stored by name.

Two stores use this: the cache of voices tuned per speaker profile (engine "matched", under
the cache dir: derived data, rebuilt on demand) and the user's registry of saved voices
(engine "voice", under the data dir: `--voice SPEAKER_00=anna` reuses "anna" in later jobs).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from polydub.cancellation import raise_if_cancelled
from polydub.domain.audio import Audio
from polydub.engines.tts.base import Speech, VoiceInfo
from polydub.media.pitch import shift_voice
from polydub.media.spectrum_match import apply_gains

VOICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")


@dataclass(frozen=True)
class MatchedVoice:
    style: np.ndarray  # (510, 1, 256) Kokoro style table
    pitch_ratio: float = 1.0
    formant_ratio: float = 1.0
    gender: str | None = None
    spectrum_gains: tuple[float, ...] = ()  # dB per third-octave band (spectrum_match)
    info: dict = field(default_factory=dict)  # how it was made: base voice, scores, source
    pitch_target: float | None = None  # the speaker's median pitch (Hz), when matched to one


# A dubbed sentence's median pitch stays this close to the speaker's (semitones): the
# voice's own reading of a sentence may sit lower or higher than its probe's.
PITCH_WINDOW_SEMITONES = 0.5


def voice_change(samples: np.ndarray, rate: int, voice: MatchedVoice) -> np.ndarray:
    """A synthesised reading as the matched voice speaks it: pitch and formants moved, its
    median kept within PITCH_WINDOW_SEMITONES of the speaker's, then the matching EQ."""
    window = None
    if voice.pitch_target:
        spread = 2 ** (PITCH_WINDOW_SEMITONES / 12)
        window = (voice.pitch_target / spread, voice.pitch_target * spread)
    samples = shift_voice(
        samples,
        rate,
        pitch_ratio=voice.pitch_ratio,
        formant_ratio=voice.formant_ratio,
        median_range=window,
    )
    return apply_gains(samples, rate, voice.spectrum_gains)


def check_voice_name(name: str) -> str:
    """Voice names are file names: lowercase letters, digits, '-' and '_' (max 48)."""
    if not VOICE_NAME.match(name):
        raise ValueError(
            f"invalid voice name {name!r}: use lowercase letters, digits, '-' and '_' (max 48)"
        )
    return name


class VoiceStore:
    """Matched voices as `<name>.npz` (style) + `<name>.json` (the rest), written atomically.

    With `share_through`, a remote blob store backs the directory: a voice missing here is
    fetched from it, and a voice saved here is sent to it, so workers on other machines reuse
    a voice one of them tuned instead of tuning it again.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._shared: tuple[object, str] | None = None

    def share_through(self, blobs, prefix: str) -> None:
        """Back this store with `blobs` (an S3BlobStore) under `prefix`."""
        self._shared = (blobs, prefix.strip("/"))

    def path(self, name: str) -> Path:
        return self.directory / f"{check_voice_name(name)}.npz"

    def exists(self, name: str) -> bool:
        return self._here(name) or self._fetch(name)

    def _here(self, name: str) -> bool:
        return self.path(name).exists() and self.path(name).with_suffix(".json").exists()

    def _fetch(self, name: str) -> bool:
        """Copy a voice from the shared store, the JSON last (as `save` writes them)."""
        if self._shared is None:
            return False
        blobs, prefix = self._shared
        path = self.path(name)
        return blobs.download(f"{prefix}/{path.name}", path) and blobs.download(
            f"{prefix}/{name}.json", path.with_suffix(".json")
        )

    def save(self, name: str, voice: MatchedVoice) -> None:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {k: v for k, v in asdict(voice).items() if k != "style"}
        # The style first, the JSON last: a voice exists once its JSON does.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, style=np.asarray(voice.style, np.float32))
        os.replace(tmp, path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2)
        os.replace(tmp, path.with_suffix(".json"))
        if self._shared is not None:
            blobs, prefix = self._shared
            blobs.put_file(f"{prefix}/{path.name}", path)
            blobs.put_file(f"{prefix}/{name}.json", path.with_suffix(".json"))

    def load(self, name: str) -> MatchedVoice:
        path = self.path(name)
        if not self.exists(name):
            raise KeyError(f"no saved voice named {name!r} in {self.directory}")
        meta = json.loads(path.with_suffix(".json").read_text("utf-8"))
        with np.load(path) as data:
            style = data["style"].astype(np.float32)
        meta["spectrum_gains"] = tuple(meta.get("spectrum_gains", ()))
        return MatchedVoice(style=style, **meta)

    def delete(self, name: str) -> None:
        """Remove a voice here and from the shared store (the JSON first: a voice exists
        while its JSON does)."""
        path = self.path(name)
        path.with_suffix(".json").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        if self._shared is not None:
            blobs, prefix = self._shared
            blobs.delete_prefix(f"{prefix}/{name}.json")
            blobs.delete_prefix(f"{prefix}/{path.name}")

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(
            p.stem for p in self.directory.glob("*.json") if p.with_suffix(".npz").exists()
        )


class MatchedVoiceSynthesizer:
    """Speaks with stored matched voices through Kokoro.

    It offers no languages and no stock voices, so voice selection never hands its voices to
    a speaker unasked; the voice assigner names them explicitly ("matched:<key>").
    """

    native_rate_control = True

    def __init__(self, kokoro, store: VoiceStore, *, name: str) -> None:
        self.kokoro = kokoro
        self.store = store
        self.name = name
        self.sample_rate = kokoro.sample_rate

    def languages(self) -> set[str]:
        return set()

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        return []

    def saved(self) -> list[VoiceInfo]:
        """The voices in this store, for listings."""
        out = []
        for name in self.store.names():
            voice = self.store.load(name)
            langs = tuple(sorted(self.kokoro.languages()))
            out.append(VoiceInfo(f"{self.name}:{name}", self.name, name, langs, voice.gender))
        return out

    def knows(self, voice_id: str, language: str | None = None) -> bool:
        """Whether `voice_id` ("<engine>:<name>") is a voice of this store that can speak
        `language` (any language Kokoro speaks; None: any)."""
        engine, _, name = voice_id.partition(":")
        if engine != self.name or not VOICE_NAME.match(name):
            return False
        if language is not None and language not in self.kokoro.languages():
            return False
        return self.store.exists(name)

    def predict_seconds(
        self, text: str, *, language: str, voice: str, rate: float = 1.0
    ) -> float | None:
        """Kokoro's duration prediction with this voice's style (the voice change after it
        keeps durations)."""
        matched = self.store.load(voice.removeprefix(f"{self.name}:"))
        return self.kokoro.predict_with_style(
            text, language=language, style=matched.style, rate=rate
        )

    def synthesize(self, text: str, *, language: str, voice: str, rate: float = 1.0) -> Speech:
        matched = self.store.load(voice.removeprefix(f"{self.name}:"))
        speech = self.kokoro.synthesize_with_style(
            text, language=language, style=matched.style, rate=rate
        )
        audio = speech.audio
        raise_if_cancelled()  # Praat's voice change costs about as much as the synthesis
        samples = voice_change(audio.samples, audio.sample_rate, matched)
        # Praat and the (delay-compensated) EQ keep durations: the phoneme timing still holds.
        return Speech(Audio(samples, audio.sample_rate), speech.phonemes, speech.words)
