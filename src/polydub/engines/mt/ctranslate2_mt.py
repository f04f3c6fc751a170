"""User-supplied CTranslate2 translation models: Opus-MT (Marian), NLLB-200 and M2M-100.

A directory is what `ct2-transformers-converter` writes (model.bin, config.json, the shared
vocabulary) plus the model's SentencePiece files: `source.spm` and `target.spm` for Opus-MT
(`--copy_files source.spm target.spm`), `sentencepiece.bpe.model` for NLLB and M2M-100.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.engines.mt.sentences import split_sentences, translate_by_sentence
from polydub.errors import EngineError

logger = logging.getLogger(__name__)

FAMILIES = ("opus-mt", "nllb", "m2m")

# ISO 639-1 -> NLLB-200 (FLORES-200) language token, for the languages Polydub names.
NLLB_CODES = {
    "af": "afr_Latn", "ar": "arb_Arab", "bg": "bul_Cyrl", "bn": "ben_Beng", "ca": "cat_Latn",
    "cs": "ces_Latn", "da": "dan_Latn", "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn",
    "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn", "fa": "pes_Arab", "fi": "fin_Latn",
    "fr": "fra_Latn", "gl": "glg_Latn", "he": "heb_Hebr", "hi": "hin_Deva", "hr": "hrv_Latn",
    "hu": "hun_Latn", "id": "ind_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "ko": "kor_Hang",
    "lt": "lit_Latn", "lv": "lvs_Latn", "ms": "zsm_Latn", "nl": "nld_Latn", "no": "nob_Latn",
    "pl": "pol_Latn", "pt": "por_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl", "sk": "slk_Latn",
    "sl": "slv_Latn", "sr": "srp_Cyrl", "sv": "swe_Latn", "sw": "swh_Latn", "ta": "tam_Taml",
    "th": "tha_Thai", "tl": "tgl_Latn", "tr": "tur_Latn", "uk": "ukr_Cyrl", "ur": "urd_Arab",
    "vi": "vie_Latn", "zh": "zho_Hans",
}  # fmt: skip
_SHARED_SPM_NAMES = ("sentencepiece.bpe.model", "sentencepiece.model", "spm.model")


def language_token(family: str, code: str) -> str | None:
    """The token that names language `code` to a many-language model; None for Opus-MT.

    Raises:
        ValueError: `code` has no NLLB token.
    """
    if family == "nllb":
        try:
            return NLLB_CODES[code]
        except KeyError:
            raise ValueError(
                f"no NLLB language token for {code!r}; known: {', '.join(sorted(NLLB_CODES))}"
            ) from None
    if family == "m2m":
        return f"__{code}__"
    return None


def pick_alternative(
    options: list[tuple[str, float]], max_chars: float | None, margin: float
) -> str:
    """Of (text, score) hypotheses, best first: the best-scoring one within `margin` of the
    best that fits `max_chars`, else the shortest of those within the margin."""
    acceptable = [(text, score) for text, score in options if score >= options[0][1] - margin]
    acceptable = [(text, score) for text, score in acceptable if text] or options[:1]
    fitting = [text for text, _ in acceptable if max_chars is not None and len(text) <= max_chars]
    if fitting:
        return fitting[0]
    return min((text for text, _ in acceptable), key=len)


class CTranslate2Translator(Translator):
    """Translate with a converted CTranslate2 model directory.

    The directory is checked at construction; the model loads once, on first use, so listing
    the pairs of many configured models costs nothing.

    Args:
        model_dir: the converted model directory.
        family: "opus-mt" (one pair per directory), "nllb" or "m2m" (many languages).
        source: Opus-MT only: the ISO 639-1 source language.
        target: Opus-MT only: the ISO 639-1 target language.
        languages: NLLB / M2M: ISO 639-1 codes to serve in every direction; empty means every
            language whose token is in the model's vocabulary.
        device: "cpu" or "cuda".
        compute_type: CTranslate2 quantization, e.g. "int8" (CPU), "int8_float16" (GPU).
        beam_size: 1 is greedy (speed); 4 is a good quality default.
        max_decoding_length: the most tokens one translated sentence may have.
        threads: CPU threads per translation (0: CTranslate2's default).
        label: the name reports give it (default: the directory's name).
        alternatives: hypotheses kept per sentence when a line is too long for its slot.
        alternative_margin: how much lower (length-normalised log-probability) than the best
            an alternative may score and still be taken for being shorter.

    Raises:
        ValueError: an unknown family, or an Opus-MT model without source/target.
        EngineError: the directory is not a CTranslate2 model with its SentencePiece files.
    """

    shortens_by = "alternatives"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        family: str = "opus-mt",
        source: str | None = None,
        target: str | None = None,
        languages: Sequence[str] = (),
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 4,
        max_decoding_length: int = 256,
        threads: int = 0,
        label: str | None = None,
        alternatives: int = 4,
        alternative_margin: float = 0.35,
    ) -> None:
        if family not in FAMILIES:
            raise ValueError(f"unknown CTranslate2 model family {family!r}; use one of {FAMILIES}")
        if family == "opus-mt" and not (source and target):
            raise ValueError(f"the Opus-MT model {model_dir} needs its source and target language")
        self.model_dir = Path(model_dir)
        self.family = family
        self.name = f"ctranslate2:{label or self.model_dir.name}"
        self._source, self._target = source, target
        self._languages = list(languages)
        self._device, self._compute_type, self._threads = device, compute_type, threads
        self._beam_size = beam_size
        self._max_decoding_length = max_decoding_length
        self._alternatives, self._margin = max(1, alternatives), alternative_margin
        self._source_spm, self._target_spm = _find_sentencepiece(self.model_dir, family)
        self._vocabulary: set[str] | None = None
        self._loaded: tuple[Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def pairs(self) -> set[tuple[str, str]]:
        if self.family == "opus-mt":
            return {(self._source, self._target)}  # type: ignore[arg-type]
        codes = self._languages or self._languages_in_vocabulary()
        return {(a, b) for a in codes for b in codes if a != b}

    def _languages_in_vocabulary(self) -> list[str]:
        vocabulary = self._vocabulary_tokens()
        codes = NLLB_CODES if self.family == "nllb" else {c: f"__{c}__" for c in NLLB_CODES}
        return sorted(code for code, token in codes.items() if token in vocabulary)

    def _vocabulary_tokens(self) -> set[str]:
        if self._vocabulary is None:
            self._vocabulary = _read_vocabulary(self.model_dir)
        return self._vocabulary

    def _translate_batch(
        self, texts: list[str], source: str, target: str, request: TranslationRequest
    ) -> list[str]:
        def best(sentences: list[str]) -> list[str]:
            return [options[0][0] for options in self._hypotheses(sentences, source, target, 1)]

        try:
            return translate_by_sentence(texts, best)
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"{self.name} failed on {source}->{target}: {exc}") from exc

    def shorten(
        self,
        texts: list[str],
        translations: list[str],
        source: str,
        target: str,
        request: TranslationRequest,
    ) -> list[str]:
        """Per sentence, the beam's `alternatives` best hypotheses; of those scoring within
        `alternative_margin` of the best, the best one that fits the sentence's share of the
        budget, else the shortest (no second decoding pass: the beam already holds them)."""
        limits = request.max_chars or [None] * len(texts)
        per_text = [split_sentences(text) for text in texts]
        distinct = list(dict.fromkeys(s for sentences in per_text for s in sentences))
        try:
            found = self._hypotheses(distinct, source, target, self._alternatives)
            options = dict(zip(distinct, found, strict=True))
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"{self.name} failed on {source}->{target}: {exc}") from exc
        out = []
        for sentences, limit in zip(per_text, limits, strict=True):
            best_total = sum(len(options[s][0][0]) for s in sentences) or 1
            chosen = []
            for sentence in sentences:
                share = None if limit is None else limit * len(options[sentence][0][0]) / best_total
                chosen.append(pick_alternative(options[sentence], share, self._margin))
            out.append(" ".join(c for c in chosen if c))
        return out

    def _hypotheses(
        self, sentences: list[str], source: str, target: str, count: int
    ) -> list[list[tuple[str, float]]]:
        """Per sentence, up to `count` (translation, score) hypotheses, best first."""
        translator, source_sp, target_sp = self._model()
        source_token = language_token(self.family, source)
        target_token = language_token(self.family, target)
        # Multi-target Opus-MT models (opus-mt-en-ROMANCE) pick the language from ">>es<<".
        opus_target = f">>{target}<<"
        opus_prefix = [opus_target] if opus_target in self._vocabulary_tokens() else []
        tokenized = source_sp.encode(sentences, out_type=str)
        if source_token:
            batch = [[source_token, *tokens, "</s>"] for tokens in tokenized]
            prefix = [[target_token]] * len(batch)
        else:
            batch = [[*opus_prefix, *tokens, "</s>"] for tokens in tokenized]
            prefix = None
        results = translator.translate_batch(
            batch,
            target_prefix=prefix,
            beam_size=max(self._beam_size, count),
            num_hypotheses=count,
            return_scores=True,
            max_decoding_length=self._max_decoding_length,
            max_batch_size=32,
        )
        outputs = []
        for result in results:
            options = []
            for tokens, score in zip(result.hypotheses, result.scores, strict=True):
                if target_token and tokens[:1] == [target_token]:
                    tokens = tokens[1:]  # the hypothesis repeats the prefix
                options.append((target_sp.decode(tokens).strip(), score))
            outputs.append(options)
        return outputs

    def _model(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> tuple[Any, Any, Any]:
        import ctranslate2
        import sentencepiece

        logger.info("loading CTranslate2 model %s (%s)", self.model_dir, self._compute_type)
        try:
            translator = ctranslate2.Translator(
                str(self.model_dir),
                device=self._device,
                compute_type=self._compute_type,
                intra_threads=self._threads,
            )
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"cannot load CTranslate2 model {self.model_dir}: {exc}") from exc
        source_sp = sentencepiece.SentencePieceProcessor(model_file=str(self._source_spm))
        target_sp = sentencepiece.SentencePieceProcessor(model_file=str(self._target_spm))
        return translator, source_sp, target_sp


def _find_sentencepiece(model_dir: Path, family: str) -> tuple[Path, Path]:
    """The source and target SentencePiece models of a directory, checking it on the way."""
    if not (model_dir / "model.bin").is_file():
        raise EngineError(
            f"{model_dir} is not a CTranslate2 model (no model.bin); convert one with "
            "ct2-transformers-converter --model <name> --output_dir <dir> --quantization int8"
        )
    if family == "opus-mt":
        source, target = model_dir / "source.spm", model_dir / "target.spm"
        if source.is_file() and target.is_file():
            return source, target
        raise EngineError(
            f"{model_dir} lacks source.spm/target.spm; convert the Opus-MT model with "
            "--copy_files source.spm target.spm"
        )
    for name in _SHARED_SPM_NAMES:
        if (model_dir / name).is_file():
            return model_dir / name, model_dir / name
    raise EngineError(
        f"{model_dir} has no SentencePiece model ({' or '.join(_SHARED_SPM_NAMES)}); "
        "copy it from the original model with --copy_files sentencepiece.bpe.model"
    )


def _read_vocabulary(model_dir: Path) -> set[str]:
    """Every token of a converted model's vocabularies (shared, or source and target)."""
    tokens: set[str] = set()
    for path in model_dir.glob("*vocabulary.json"):
        tokens.update(json.loads(path.read_text(encoding="utf-8")))
    for path in model_dir.glob("*vocabulary.txt"):
        tokens.update(path.read_text(encoding="utf-8").splitlines())
    return tokens
