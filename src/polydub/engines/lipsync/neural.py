"""Neural lip-sync with user-supplied Wav2Lip-class weights, ONNX or TorchScript.

No package ships such weights, so this engine runs only when a user configures a model file
(`POLYDUB_LIPSYNC_MODEL`). It follows Wav2Lip's interface: per frame, a 96x96 face crop whose
lower half is masked, stacked with an unmasked reference (6 channels, BGR, 0..1), and the
16-step mel window around the frame's time (80 bands, 80 steps per second); the network
returns the face with a new lower half. The result is pasted back inside the lower-face mask,
so the rest of the frame is untouched. Runs on a CUDA GPU when one is present.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from polydub.domain.audio import Audio
from polydub.engines.face.landmarks import CHIN, face_scale
from polydub.engines.lipsync.base import MouthEdit, MouthTarget
from polydub.engines.lipsync.warp import region_mask
from polydub.media.audio import resample

FACE_SIZE = 96
MEL_RATE = 16000
MEL_STEPS = 16  # mel frames per window (0.2 s)
MEL_PER_SECOND = 80  # hop of 200 samples at 16 kHz


def wav2lip_mel(audio: Audio) -> np.ndarray:
    """Wav2Lip's mel spectrogram (80, frames): pre-emphasis 0.97, n_fft 800, hop 200, 55-7600
    Hz, dB relative to 20 dB, scaled symmetrically into [-4, 4]."""
    import librosa

    samples = resample(audio, MEL_RATE).samples.astype(np.float32)
    emphasised = np.append(samples[0], samples[1:] - 0.97 * samples[:-1])
    spec = np.abs(librosa.stft(emphasised, n_fft=800, hop_length=200, win_length=800))
    basis = librosa.filters.mel(sr=MEL_RATE, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    mel_db = 20 * np.log10(np.maximum(1e-5, basis @ spec)) - 20
    return np.clip(8 * ((mel_db + 100) / 100) - 4, -4, 4).astype(np.float32)


def mel_window(mel: np.ndarray, t: float) -> np.ndarray:
    """The (80, 16) mel window Wav2Lip pairs with a frame at time `t` (zero-padded at the end)."""
    start = max(int(MEL_PER_SECOND * t), 0)
    window = mel[:, start : start + MEL_STEPS]
    if window.shape[1] < MEL_STEPS:
        window = np.pad(window, ((0, 0), (0, MEL_STEPS - window.shape[1])), constant_values=-4)
    return window


class Wav2LipModel:
    """Loads a Wav2Lip-class network from an .onnx (onnxruntime) or TorchScript .pt/.pth
    (torch.jit) file, on CUDA when available, and runs it on batches."""

    def __init__(self, path: Path, device: str = "auto") -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"lip-sync model not found: {self.path}")
        if self.path.suffix == ".onnx":
            self._run, self.device = _load_onnx(self.path, device)
        elif self.path.suffix in (".pt", ".pth", ".ts"):
            self._run, self.device = _load_torchscript(self.path, device)
        else:
            raise ValueError(
                f"unsupported lip-sync model {self.path.name}: use .onnx or a TorchScript .pt"
            )

    def __call__(self, mel: np.ndarray, faces: np.ndarray) -> np.ndarray:
        """mel (B, 1, 80, 16) and faces (B, 6, 96, 96) float32 -> faces (B, 3, 96, 96) 0..1."""
        return self._run(mel.astype(np.float32), faces.astype(np.float32))


def _load_onnx(path: Path, device: str):
    import onnxruntime as ort

    available = ort.get_available_providers()
    providers = ["CPUExecutionProvider"]
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        providers.insert(0, "CUDAExecutionProvider")
    session = ort.InferenceSession(str(path), providers=providers)
    inputs = session.get_inputs()
    # Tell the audio input from the face input by shape: the face has 6 channels.
    face_name = next((i.name for i in inputs if i.shape[1] == 6), inputs[1].name)
    mel_name = next(i.name for i in inputs if i.name != face_name)

    def run(mel: np.ndarray, faces: np.ndarray) -> np.ndarray:
        return session.run(None, {mel_name: mel, face_name: faces})[0]

    return run, "cuda" if providers[0].startswith("CUDA") else "cpu"


def _load_torchscript(path: Path, device: str):
    import torch

    use = "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    model = torch.jit.load(str(path), map_location=use).eval()

    def run(mel: np.ndarray, faces: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(torch.from_numpy(mel).to(use), torch.from_numpy(faces).to(use))
        return out.float().cpu().numpy()

    return run, use


class Wav2LipRenderer:
    """A MouthRenderer around a Wav2Lip-class model, driven by the new speech's audio."""

    name = "wav2lip"

    def __init__(self, model: Wav2LipModel, speech: Audio, feather: float = 0.1) -> None:
        self.model = model
        self.mel = wav2lip_mel(speech)
        self.feather = feather

    def render(
        self, rgb: np.ndarray, points: np.ndarray, target: MouthTarget, track_id: int = 0
    ) -> MouthEdit:
        box = face_box(points, rgb.shape)
        x0, y0, x1, y1 = box
        crop = cv2.resize(rgb[y0:y1, x0:x1], (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
        bgr = crop[..., ::-1].astype(np.float32) / 255.0
        masked = bgr.copy()
        masked[FACE_SIZE // 2 :] = 0.0
        faces = np.concatenate([masked, bgr], axis=2).transpose(2, 0, 1)[None]
        mel = mel_window(self.mel, target.time or 0.0)[None, None]
        out = self.model(mel, faces)[0].transpose(1, 2, 0)
        face = np.clip(out[..., ::-1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
        face = cv2.resize(face, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
        # Blend only the lower face, softly, as the warp does.
        scale = face_scale(points)
        mask = region_mask(_lower_face(points), box, scale * self.feather)
        # The network redraws the lower half only: fade in below the crop's middle.
        rows = np.linspace(0.0, 1.0, y1 - y0)
        mask *= np.clip((rows - 0.45) / 0.15, 0.0, 1.0)[:, None].astype(np.float32)
        out_rgb = rgb.copy()
        region = rgb[y0:y1, x0:x1].astype(np.float32)
        blended = region + mask[..., None] * (face.astype(np.float32) - region)
        out_rgb[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
        return MouthEdit(out_rgb, mask, box)


def face_box(points: np.ndarray, shape) -> tuple[int, int, int, int]:
    """Wav2Lip's face crop: the landmarks' box, a little below the chin, square-ish."""
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.1 * (high[1] - low[1])
    x0, y0 = int(np.floor(low[0])), int(np.floor(low[1]))
    x1, y1 = int(np.ceil(high[0])), int(np.ceil(points[CHIN][1] + pad))
    height, width = shape[:2]
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


def _lower_face(points: np.ndarray) -> np.ndarray:
    from polydub.engines.face.landmarks import JAW, NOSE_BOTTOM

    ids = list(JAW) + list(NOSE_BOTTOM)
    return cv2.convexHull(points[ids].astype(np.float32)).reshape(-1, 2).astype(np.float64)
