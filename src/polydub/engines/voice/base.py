"""Speaker encoders: audio -> a unit-length voice embedding; cosine = voice similarity."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from polydub.cancellation import raise_if_cancelled

ENCODER_SAMPLE_RATE = 16000


class SpeakerEncoder(Protocol):
    name: str

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """A unit-length embedding of 16 kHz mono float32 speech (any length > 0)."""
        ...


def embed_windows(
    encoder: SpeakerEncoder, samples: np.ndarray, centers: np.ndarray, seconds: float
) -> np.ndarray:
    """Embeddings of `seconds`-long windows of `samples` centred on `centers` (seconds); the
    encoder's batched version when it has one."""
    batched = getattr(encoder, "embed_windows", None)
    if batched is not None:
        return batched(samples, centers, seconds)
    half = int(seconds * ENCODER_SAMPLE_RATE / 2)
    rows = []
    for c in centers:
        raise_if_cancelled()
        mid = int(c * ENCODER_SAMPLE_RATE)
        lo = max(0, min(mid - half, len(samples) - 2 * half))
        rows.append(encoder.embed(samples[lo : lo + 2 * half]))
    return np.stack(rows) if rows else np.zeros((0, 256), np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings (0 when either is all zeros)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
