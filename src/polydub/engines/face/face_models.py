"""MediaPipe's face models, read from the installed mediapipe wheel and run with LiteRT.

The .tflite files ship inside the mediapipe wheel (offline, pinned). mediapipe is installed
without its dependencies and never imported: its Python runtime pins numpy<2 and protobuf<5
and pulls in jax/jaxlib. LiteRT (ai-edge-litert) runs the same files with the same XNNPACK
kernels mediapipe uses, so the numbers match; it works on numpy 1.26 and 2.x. (Converting the
files to ONNX for onnxruntime was the other choice, but the full-range detector is a sparse
model that the converters do not handle and the conversion tools pull in TensorFlow.)
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np

SHORT_RANGE_DETECTOR = "face_detection/face_detection_short_range.tflite"
FULL_RANGE_DETECTOR = "face_detection/face_detection_full_range_sparse.tflite"


class FaceModelsMissing(RuntimeError):
    """The mediapipe wheel that carries the face models is not installed."""


def model_path(name: str) -> Path:
    """Where the wheel put `name` (relative to mediapipe/modules)."""
    try:
        dist = metadata.distribution("mediapipe")
    except metadata.PackageNotFoundError:
        raise FaceModelsMissing(
            "the face models ship in the mediapipe wheel; install requirements-nodeps.txt"
        ) from None
    path = Path(str(dist.locate_file(f"mediapipe/modules/{name}")))
    if not path.is_file():
        raise FaceModelsMissing(f"the mediapipe wheel has no {name}")
    return path


class TfliteModel:
    """One .tflite model with a single float32 image input; `run` returns its outputs in order."""

    def __init__(self, name: str, threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(
            model_path=str(model_path(name)), num_threads=threads or default_threads()
        )
        self._interpreter.allocate_tensors()
        (image,) = self._interpreter.get_input_details()
        self._input = image["index"]
        self.input_size = int(image["shape"][2]), int(image["shape"][1])  # width, height
        self._outputs = [o["index"] for o in self._interpreter.get_output_details()]

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        self._interpreter.set_tensor(self._input, tensor[None].astype(np.float32, copy=False))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(i)[0] for i in self._outputs]


def default_threads() -> int:
    # One thread: these models take 1-3 ms a frame, and more threads measured slower here (hand-
    # offs cost more than they save) while the job process has other work on the other cores.
    return 1
