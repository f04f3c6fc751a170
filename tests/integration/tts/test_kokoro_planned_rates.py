"""Synthesise once: Kokoro's own duration predictor sets each line's rate before it is spoken,
so the fit stage keeps every line instead of speaking it again at a faster rate."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.domain.media import AudioStreamInfo, MediaInfo
from polydub.domain.transcript import Segment
from polydub.engines.tts.kokoro import KokoroSynthesizer, _assemble_model
from polydub.engines.tts.onnx_outputs import node_outputs, only_graph_outputs
from polydub.pipeline import fit as fit_stage
from polydub.pipeline.artifacts import IngestArtifact, TranslationArtifact
from polydub.pipeline.synthesize import LineSynthesizer, synthesize
from polydub.pipeline.timing import TimingOptions

pytestmark = pytest.mark.integration

# Spanish runs longer than the English slots it fills: most lines need a faster rate.
LINES = (
    ("Bienvenidos a nuestra breve introducción al nuevo producto.", 3.0),
    ("Gracias por mirar, y hasta la próxima.", 2.4),
    ("Tercero, todo funciona sin conexión, incluso en un avión.", 4.5),
)


@pytest.fixture(scope="module")
def kokoro(pytestconfig: pytest.Config) -> KokoroSynthesizer:
    return KokoroSynthesizer(pytestconfig.cache.mkdir("polydub-kokoro"), threads=1)


def test_the_cut_down_model_predicts_the_same_durations(kokoro, pytestconfig):
    import onnxruntime as ort

    model = _assemble_model(pytestconfig.cache.mkdir("polydub-kokoro")).read_bytes()
    names = node_outputs(model, "Clip")
    pruned = only_graph_outputs(model, names)
    assert len(pruned) < len(model) / 2  # the decoder is gone
    session = ort.InferenceSession(pruned, providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == names
    symbols, feeds = kokoro._feeds(
        kokoro.phonemize(LINES[0][0], "es"), kokoro.style("jm_kumo"), 1.1
    )
    whole = np.asarray(kokoro._session.run(None, feeds)[1]).ravel()
    alone = np.asarray(session.run(None, feeds)[0]).ravel()
    assert len(alone) == len(symbols) + 2
    np.testing.assert_array_equal(alone, whole)


def _translation(at: float = 0.0) -> TranslationArtifact:
    segments, t = [], at
    for i, (text, room) in enumerate(LINES):
        segments.append(Segment(index=i, start=t, end=t + room - 0.3, text="-", translation=text))
        t += room
    return TranslationArtifact(
        source_language="en", target_language="es", engine="test", segments=segments
    )


def test_lines_are_spoken_once_at_the_rate_the_plan_needs(kokoro, tmp_path):
    translated = _translation()
    end = translated.segments[-1].end + 0.3
    info = MediaInfo(
        duration=end, format_name="mp4",
        audio=AudioStreamInfo(codec="aac", sample_rate=48000, channels=2),
    )  # fmt: skip
    ingested = IngestArtifact(
        source=tmp_path / "src.mp4", info=info, mixture_wav=tmp_path / "a.wav",
        range_start=0.0, range_end=end,
    )  # fmt: skip
    options = TimingOptions(dynamic_duration=True)
    lines = LineSynthesizer({"kokoro": kokoro}, tmp_path / "lines")
    synthesized = synthesize(
        translated,
        ["SPEAKER_00"],
        lines=lines,
        assign_voices=lambda speakers: {s: "kokoro:jm_kumo" for s in speakers},
        plan_rates=fit_stage.rate_planner(translated, ingested, options),
        max_rate=options.max_rate,
        workers=2,
    )
    assert all(line.natural for line in synthesized.lines)
    assert max(line.rate for line in synthesized.lines) > 1.05  # the plan did ask for speed
    (tmp_path / "fit").mkdir()
    fitted = fit_stage.fit(
        ingested, translated, synthesized, tmp_path / "fit", lines=lines, options=options
    )
    # No line was spoken a second time: one cached wav per line.
    assert len(list((tmp_path / "lines").glob("*.wav"))) == len(LINES)
    for spoken, planned in zip(synthesized.lines, fitted.plan.segments, strict=True):
        assert spoken.rate == pytest.approx(planned.rate, abs=0.1)
        # Each line lands within a few percent of the length the plan gave it.
        assert spoken.duration == pytest.approx(planned.dub_duration * planned.tempo, rel=0.06)
