"""The neural lip-sync slot: real loading code for Wav2Lip-class ONNX and TorchScript files,
exercised on small stand-in networks with Wav2Lip's inputs and outputs (no such weights ship).

The stand-in returns the reference face with its lower half darkened by the loudness of the
mel window, so the test can tell that audio, crop and paste-back all line up."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.domain.audio import Audio
from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.engines.lipsync.base import MouthTarget
from polydub.engines.lipsync.neural import (
    MEL_STEPS,
    Wav2LipModel,
    Wav2LipRenderer,
    mel_window,
    wav2lip_mel,
)
from polydub.face_samples import TalkingFaces, one_face_placement
from polydub.pipeline.lipsync import make_renderer

pytestmark = pytest.mark.integration
torch = pytest.importorskip("torch")


class StandIn(torch.nn.Module):
    def forward(self, mel, face):
        loud = (mel.amax(dim=(1, 2, 3)) + 4.0) / 8.0  # 0 silent .. 1 loud
        out = face[:, 3:].clone()
        lower = out[:, :, 48:, :] * (1.0 - 0.8 * loud.view(-1, 1, 1, 1))
        return torch.cat([out[:, :, :48, :], lower], dim=2)


def _inputs():
    return torch.zeros(1, 1, 80, MEL_STEPS), torch.zeros(1, 6, 96, 96)


@pytest.fixture(scope="module", params=["onnx", "torchscript"])
def model_file(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2l")
    if request.param == "onnx":
        pytest.importorskip("onnx")
        path = folder / "standin.onnx"
        torch.onnx.export(
            StandIn(),
            _inputs(),
            str(path),
            input_names=["audio", "face"],
            output_names=["out"],
            dynamo=False,
        )
    else:
        path = folder / "standin.pt"
        torch.jit.trace(StandIn(), _inputs()).save(str(path))
    return path


@pytest.fixture(scope="module")
def speech():
    """One second of silence, then one second of a loud tone."""
    rate = 16000
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 220 * t)
    return Audio(np.concatenate([np.zeros(rate), tone]).astype(np.float32), rate)


def test_mel_matches_wav2lips_layout(speech):
    mel = wav2lip_mel(speech)
    assert mel.shape[0] == 80 and abs(mel.shape[1] - 161) <= 1  # 80 per second
    assert mel.min() >= -4 and mel.max() <= 4
    assert mel_window(mel, 0.5).mean() < mel_window(mel, 1.5).mean()
    assert mel_window(mel, 1.99).shape == (80, MEL_STEPS)


def test_model_loads_and_redraws_only_the_lower_face(model_file, speech):
    model = Wav2LipModel(model_file)
    assert model.device == "cpu"
    renderer = Wav2LipRenderer(model, speech)
    faces = TalkingFaces(960, 540, [one_face_placement(960, 540, zoom=1.6)])
    frame = faces.frame([0.3])
    with MediaPipeFaceLandmarker() as landmarker:
        points = landmarker.landmarks(frame)[0]
    quiet = renderer.render(frame, points, MouthTarget(0.2, time=0.5))
    loud = renderer.render(frame, points, MouthTarget(0.2, time=1.5))
    for edit in (quiet, loud):
        outside = edit.frame_mask() == 0
        assert np.array_equal(edit.rgb[outside], frame[outside])
        assert edit.frame_mask()[: int(points[:, 1].min())].max() == 0  # nothing above the face
    inside = loud.frame_mask() > 0.9
    assert loud.rgb[inside].mean() < quiet.rgb[inside].mean() - 20


def test_a_configured_model_takes_the_place_of_the_modes(model_file, speech):
    renderer = make_renderer("precision", model=model_file, speech=speech)
    assert renderer.name == "wav2lip"


def test_unknown_model_files_are_refused(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"x")
    with pytest.raises(ValueError, match="onnx"):
        Wav2LipModel(bad)
    with pytest.raises(FileNotFoundError):
        Wav2LipModel(tmp_path / "missing.onnx")
