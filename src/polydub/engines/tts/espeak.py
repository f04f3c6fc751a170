"""The Debian `espeak-ng` binary: robotic, but it speaks 100+ languages.

The last resort for a language no neural voice covers. Phoneme timing is approximate: eSpeak
tells us its phonemes (--ipa) but not when they sound, so we spread them evenly over the audio.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from polydub.domain.audio import Audio
from polydub.engines.tts.base import PhonemeTiming, Speech, VoiceInfo
from polydub.engines.tts.phoneme_timing import merge_phoneme_timings
from polydub.engines.tts.silence import trim_silence
from polydub.errors import EngineError

logger = logging.getLogger(__name__)

SAMPLE_RATE = 22050
_DEFAULT_WPM = 175
_TIMEOUT_SECONDS = 60
# Where eSpeak's default voice for a code is not the one users expect, or it has no
# ISO 639-1 voice name: American English, French of France, Mandarin, Norwegian Bokmål.
_PREFERRED_VOICES = {"en": "en-us", "fr": "fr-fr", "zh": "cmn", "no": "nb"}
# eSpeak voice variants ("+f3") give each language a male and a female voice.
_VARIANTS = {"male": "", "female": "+f3"}
_ZERO_WIDTH_JOINER = "\u200d"


def parse_voice_list(listing: str) -> dict[str, str]:
    """Map ISO 639-1 codes to eSpeak voice names from `espeak-ng --voices` output."""
    names = [line.split()[1] for line in listing.splitlines()[1:] if len(line.split()) >= 2]
    available = set(names)
    voices: dict[str, str] = {}
    for name in names:
        base = name.split("-")[0]
        if len(base) == 2:
            voices.setdefault(base, base if base in available else name)
    for code, name in _PREFERRED_VOICES.items():
        if name in available:
            voices[code] = name
    return voices


class EspeakSynthesizer:
    """eSpeak-NG through its command-line binary.

    Args:
        binary: the espeak-ng executable (a name on PATH or a path).
    """

    name = "espeak"
    sample_rate = SAMPLE_RATE
    # -s re-synthesises at a words-per-minute rate: no stretching needed.
    native_rate_control = True

    def __init__(self, binary: str = "espeak-ng") -> None:
        path = shutil.which(binary)
        if path is None:
            raise EngineError(f"{binary} not found; install the Debian package espeak-ng")
        self._binary = path
        listing = self._run(["--voices"]).decode("utf-8", "replace")
        self._voices = parse_voice_list(listing)

    def languages(self) -> set[str]:
        return set(self._voices)

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        if language is not None and language not in self._voices:
            return []
        langs = (language,) if language else tuple(sorted(self._voices))
        return [
            VoiceInfo(f"espeak:{variant}", "espeak", variant, langs, variant)
            for variant in _VARIANTS
        ]

    def synthesize(self, text: str, *, language: str, voice: str, rate: float = 1.0) -> Speech:
        """Speak `text` with eSpeak-NG.

        Args:
            text: what to say.
            language: ISO 639-1 code; see `languages()`.
            voice: "espeak:male" or "espeak:female".
            rate: speaking rate; 1.0 is 175 words per minute.

        Raises:
            ValueError: unknown language or voice, or a non-positive rate.
            EngineError: espeak-ng failed.
        """
        if language not in self._voices:
            raise ValueError(f"espeak-ng has no voice for {language!r}")
        variant = voice.removeprefix("espeak:")
        if variant not in _VARIANTS:
            raise ValueError(f"unknown espeak voice {voice!r}; choose espeak:male or espeak:female")
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        espeak_voice = self._voices[language] + _VARIANTS[variant]
        wpm = str(round(_DEFAULT_WPM * rate))
        with tempfile.TemporaryDirectory(prefix="polydub-espeak-") as tmp:
            wav = Path(tmp) / "speech.wav"
            self._run(["-v", espeak_voice, "-s", wpm, "-w", str(wav), "--stdin"], text)
            samples, sample_rate = soundfile.read(io.BytesIO(wav.read_bytes()), dtype="float32")
        samples, _ = trim_silence(np.asarray(samples, np.float32).reshape(-1), sample_rate)
        if not samples.size:
            raise ValueError(f"nothing to say: {text!r}")
        audio = Audio(samples, sample_rate)
        ipa = self._run(["-q", "--ipa=3", "-v", espeak_voice, "--stdin"], text).decode("utf-8")
        return Speech(audio, even_timings(ipa, audio.duration))

    def _run(self, args: list[str], text: str | None = None) -> bytes:
        try:
            done = subprocess.run(
                [self._binary, *args],
                input=text.encode("utf-8") if text is not None else None,
                capture_output=True,
                timeout=_TIMEOUT_SECONDS,
                check=True,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            stderr = getattr(error, "stderr", b"") or b""
            raise EngineError(f"espeak-ng failed: {stderr.decode(errors='replace')}") from error
        return done.stdout


def even_timings(ipa: str, duration: float) -> tuple[PhonemeTiming, ...]:
    """Approximate timing: eSpeak's IPA phonemes spread evenly over `duration` seconds.

    Word gaps count as one slot of silence; tied multi-letter phonemes (joined with U+200D)
    stay one phoneme.
    """
    symbols: list[str] = []
    for char in re.sub(r"\s+", " ", ipa.strip()):
        if symbols and (char == _ZERO_WIDTH_JOINER or symbols[-1].endswith(_ZERO_WIDTH_JOINER)):
            symbols[-1] += char
        else:
            symbols.append(char)
    symbols = [s.replace(_ZERO_WIDTH_JOINER, "") for s in symbols]
    if not symbols:
        return ()
    edges = np.linspace(0.0, duration, len(symbols) + 1)
    return tuple(merge_phoneme_timings(symbols, edges))
