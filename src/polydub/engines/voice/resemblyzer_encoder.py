"""Resemblyzer's GE2E speaker encoder; its weights (pretrained.pt) ship inside the wheel.

We feed raw audio to `embed_utterance`: resemblyzer's own `preprocess_wav` trims silence and
would shift the timeline we diarize on. Only the loudness is normalised, as it does.
"""

from __future__ import annotations

import threading

import numpy as np

from polydub.cancellation import raise_if_cancelled
from polydub.engines.torch_threads import torch_threads
from polydub.engines.voice.base import unit

# resemblyzer works on 1.6 s partial windows; shorter clips are padded, which still embeds.
_MIN_SAMPLES = 1600
_TARGET_DBFS = -30.0
# The LSTM always runs on one torch thread (engines/torch_threads.py): on two cores, 6 s of
# speech embedded 5 times took 0.30 s CPU on one thread, 0.42 s on two, and 9-11 s on two
# while another process was busy (their OpenMP threads spinning).
# Word windows embedded per forward pass (one slice for any clip of a few minutes).
_WINDOWS_PER_FORWARD = 512


class ResemblyzerEncoder:
    """Args: threads: torch intra-op threads for this process; None leaves torch's choice."""

    name = "resemblyzer"

    def __init__(self, *, threads: int | None = None) -> None:
        import torch
        from resemblyzer import VoiceEncoder

        if threads:
            torch.set_num_threads(threads)
        self._encoder = VoiceEncoder("cpu", verbose=False)
        # The LSTM keeps no state between calls, but torch modules are not documented as
        # thread-safe; synthesis workers may score voices concurrently.
        self._lock = threading.Lock()

    def embed(self, samples: np.ndarray) -> np.ndarray:
        wav = _normalize_volume(np.asarray(samples, np.float32).ravel())
        if len(wav) < _MIN_SAMPLES:
            wav = np.pad(wav, (0, _MIN_SAMPLES - len(wav)))
        with self._lock, torch_threads(1):
            embedding = self._encoder.embed_utterance(wav)
        return unit(np.asarray(embedding, np.float32))

    def embed_windows(self, samples: np.ndarray, centers: np.ndarray, seconds: float) -> np.ndarray:
        """(len(centers), 256) unit embeddings of `seconds`-long windows centred on `centers`
        (seconds), clamped inside the audio; one mel pass, batched forwards."""
        import torch
        from resemblyzer.audio import wav_to_mel_spectrogram

        if len(centers) == 0:
            return np.zeros((0, 256), np.float32)
        wav = _normalize_volume(np.asarray(samples, np.float32).ravel())
        if len(wav) < _MIN_SAMPLES:
            wav = np.pad(wav, (0, _MIN_SAMPLES - len(wav)))
        mel = wav_to_mel_spectrogram(wav)  # 10 ms frames
        width = min(max(int(round(seconds * 100)), 10), len(mel))
        starts = np.round(np.asarray(centers) * 100).astype(int) - width // 2
        starts = np.clip(starts, 0, len(mel) - width)
        rows = []
        # In slices: a long video has thousands of words, and a cancel is seen between them.
        for first in range(0, len(starts), _WINDOWS_PER_FORWARD):
            raise_if_cancelled()
            batch = np.stack([mel[s : s + width] for s in starts[first:][:_WINDOWS_PER_FORWARD]])
            with self._lock, torch_threads(1), torch.no_grad():
                rows.append(self._encoder(torch.from_numpy(batch)).cpu().numpy())
        out = np.concatenate(rows)
        return (out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-12)).astype(np.float32)


def _normalize_volume(wav: np.ndarray) -> np.ndarray:
    """Scale to -30 dBFS RMS (resemblyzer's training loudness); silence stays silence."""
    rms = float(np.sqrt(np.mean(wav**2))) if len(wav) else 0.0
    if rms < 1e-5:
        return wav
    gain = 10 ** (_TARGET_DBFS / 20) / rms
    return np.clip(wav * gain, -1.0, 1.0).astype(np.float32)
