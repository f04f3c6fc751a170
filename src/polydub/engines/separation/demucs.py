"""Speech / background separation with a pulled Hybrid Transformer Demucs (`polydub models pull
htdemucs`), run by demucs-infer (inference-only Demucs on the installed torch, no torchaudio).

A model folder holds the hub's layout: `<name>.yaml` (`models: [signatures]`, optional
`weights` and `segment`) and one `<signature>.safetensors` per model of the bag. Demucs gives
four stems (drums, bass, other, vocals); speech is the vocals stem, background the sum of the
others. Windowing, resampling to 44.1 kHz and crossfading are Spleeter's (same model rate).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from polydub.cancellation import raise_if_cancelled
from polydub.engines.separation.spleeter import MODEL_SAMPLE_RATE, SpleeterSeparator
from polydub.errors import EngineError

logger = logging.getLogger(__name__)


def load_demucs(model_dir: Path):
    """The Demucs model (or bag of models) a pulled folder describes.

    Raises:
        EngineError: demucs-infer is missing, or the folder is not a Demucs model.
    """
    try:
        import yaml
        from demucs_infer.apply import BagOfModels
        from demucs_infer.safetensors import load_safetensors_model
    except ImportError as exc:
        raise EngineError(f"Demucs needs the demucs-infer package: {exc}") from exc
    model_dir = Path(model_dir)
    recipes = sorted(model_dir.glob("*.yaml"))
    if len(recipes) != 1:
        raise EngineError(f"{model_dir} should hold one Demucs recipe (.yaml), has {len(recipes)}")
    try:
        recipe = yaml.safe_load(recipes[0].read_text(encoding="utf-8"))
        models = [
            load_safetensors_model(model_dir / f"{sig}.safetensors") for sig in recipe["models"]
        ]
    except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise EngineError(f"could not load the Demucs model in {model_dir}: {exc}") from exc
    if len(models) == 1 and not recipe.get("weights"):
        model = models[0]
    else:
        model = BagOfModels(models, recipe.get("weights"), recipe.get("segment"))
    if model.samplerate != MODEL_SAMPLE_RATE or "vocals" not in model.sources:
        raise EngineError(f"{model_dir}: a 44.1 kHz model with a vocals stem is needed")
    return model.eval()


class DemucsSeparator(SpleeterSeparator):
    """Split a mixture into speech (Demucs's vocals) and background (its other stems).

    Args:
        model_dir: the pulled model's folder.
        window_seconds / overlap_seconds / threads: as for SpleeterSeparator.
        device: "cpu" or "cuda"; Demucs is about real time on 2 CPU cores, far faster on a GPU.
        label: the pulled model's name, for reports ("demucs:htdemucs").
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        window_seconds: float = 30.0,
        overlap_seconds: float = 2.0,
        threads: int = 0,
        device: str = "cpu",
        label: str | None = None,
    ) -> None:
        # Spleeter's windowing without its U-Nets: the model here is Demucs.
        self._set_windowing(window_seconds, overlap_seconds, threads)
        self.name = f"demucs:{label}" if label else "demucs"
        self._device = device
        self._model = load_demucs(model_dir).to(device)
        self._vocals = self._model.sources.index("vocals")

    @torch.inference_mode()
    def _separate_44k(self, wav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vocals, everything else) of a (2, n) 44.1 kHz signal."""
        from demucs_infer.apply import apply_model

        raise_if_cancelled()
        mix = torch.from_numpy(wav)
        # Demucs expects a standardised input (as its own CLI feeds it); undone on the stems.
        reference = mix.mean(0)
        mean, std = reference.mean(), reference.std() + 1e-8
        stems = apply_model(
            self._model, ((mix - mean) / std)[None], shifts=0, split=True, overlap=0.25,
            device=self._device,
        )[0] * std + mean  # fmt: skip
        vocals = stems[self._vocals]
        rest = stems.sum(0) - vocals
        return vocals.cpu().numpy(), rest.cpu().numpy()
