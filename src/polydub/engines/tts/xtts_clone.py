"""XTTS-v2 (Coqui) zero-shot voice cloning, for users who bring its weights.

No package ships cloning weights, so this engine is used only when POLYDUB_XTTS_MODEL_DIR
names a directory holding XTTS-v2's config.json, model.pth and vocab.json, and the `coqui-tts`
package is installed. A cloned voice is the model's conditioning latents computed from the
speaker's reference clips, saved under the voices directory by the profile's key, so a batch
of languages (and a re-run) clones once.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from polydub.domain.audio import Audio
from polydub.engines.tts.base import Speech, VoiceInfo
from polydub.engines.tts.matched import check_voice_name
from polydub.engines.tts.silence import trim_silence

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24000
# XTTS-v2's languages (its "zh-cn" is our "zh").
CLONE_LANGUAGES = frozenset("en es fr de it pt pl tr ru nl cs ar zh ja hu ko hi".split())


class XttsCloningSynthesizer:
    """Args:
    model_dir: an XTTS-v2 checkpoint directory (config.json, model.pth, vocab.json).
    voices_dir: where cloned voices (conditioning latents) are kept.
    device: "cpu" or "cuda"; XTTS is slow on CPU (RTF well above 1).
    """

    name = "xtts"
    sample_rate = SAMPLE_RATE
    native_rate_control = True
    clone_languages = CLONE_LANGUAGES

    def __init__(self, model_dir: Path, voices_dir: Path, *, device: str = "cpu") -> None:
        try:
            from TTS.tts.configs.xtts_config import XttsConfig
            from TTS.tts.models.xtts import Xtts
        except ImportError as exc:
            raise ImportError(
                "XTTS cloning needs the coqui-tts package: pip install coqui-tts"
            ) from exc
        model_dir = Path(model_dir)
        config = XttsConfig()
        config.load_json(str(model_dir / "config.json"))
        self._model = Xtts.init_from_config(config)
        self._model.load_checkpoint(config, checkpoint_dir=str(model_dir), eval=True)
        self._model.to(device)
        self._config = config
        self.voices_dir = Path(voices_dir)
        self._lock = threading.Lock()  # one inference at a time: the model is not re-entrant

    # Cloned voices are named explicitly by the voice assigner, never handed out as stock
    # voices: no languages or voices are declared to the selection policy.
    def languages(self) -> set[str]:
        return set()

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        return []

    def _latents_path(self, name: str) -> Path:
        return self.voices_dir / f"{check_voice_name(name)}.pt"

    def has_voice(self, name: str) -> bool:
        return self._latents_path(name).exists()

    def clone(self, name: str, reference_wavs: list[Path]) -> None:
        """Compute and keep the conditioning latents of a speaker's reference clips."""
        import torch

        with self._lock:
            latent, embedding = self._model.get_conditioning_latents(
                audio_path=[str(p) for p in reference_wavs]
            )
        path = self._latents_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".pt.part")
        torch.save({"gpt_cond_latent": latent, "speaker_embedding": embedding}, tmp)
        tmp.replace(path)

    def synthesize(self, text: str, *, language: str, voice: str, rate: float = 1.0) -> Speech:
        import torch

        name = voice.removeprefix(f"{self.name}:")
        if not self.has_voice(name):
            raise ValueError(f"no cloned XTTS voice {name!r}; clone it from a profile first")
        if language not in CLONE_LANGUAGES:
            raise ValueError(f"XTTS-v2 does not speak {language!r}")
        latents = torch.load(self._latents_path(name), weights_only=True)
        with self._lock:
            out = self._model.inference(
                text,
                "zh-cn" if language == "zh" else language,
                latents["gpt_cond_latent"],
                latents["speaker_embedding"],
                temperature=self._config.temperature,
                speed=rate,
            )
        samples, _ = trim_silence(np.asarray(out["wav"], np.float32), SAMPLE_RATE)
        return Speech(Audio(samples, SAMPLE_RATE))
