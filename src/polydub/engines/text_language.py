"""Which language a text is written in: py3langid's naive Bayes model, shipped in its wheel.

Used to check what a speech recogniser wrote (Whisper base asked for Spanish can answer in
English), never to choose anything. Loaded once per process, on first use (about 0.7 s).
"""

from __future__ import annotations

import threading
from functools import lru_cache

_load_lock = threading.Lock()


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    with _load_lock:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def rank_languages(text: str) -> list[tuple[str, float]]:
    """Every language the model knows with its probability for `text`, most likely first
    (ISO 639-1 codes where one exists)."""
    return [(code, float(p)) for code, p in _identifier().rank(text)]
