"""No server path in what a client reads: the scrubber, client_message and the job report."""

from __future__ import annotations

from pathlib import Path

import pytest

from polydub.domain.media import MediaInfo
from polydub.domain.speaker import PitchStats, SpeakerProfile
from polydub.domain.timing import TimingPlan
from polydub.domain.transcript import Segment, Transcript
from polydub.errors import MAX_CLIENT_MESSAGE, EngineError, InvalidInputError, client_message
from polydub.pipeline.artifacts import (
    DiarizationArtifact,
    FitArtifact,
    IngestArtifact,
    MixArtifact,
    RenderArtifact,
    SeparationArtifact,
    SynthesisArtifact,
    TranslationArtifact,
)
from polydub.pipeline.checkpoint import StageOutcome
from polydub.pipeline.lipsync_stage import LipSyncArtifact
from polydub.pipeline.quality import IntelligibilityReport, QualityArtifact, timing_report
from polydub.pipeline.report import SourceSide, TargetSide, build_report
from polydub.server_paths import scrub_paths, scrub_strings, server_paths_in

SCRUBBED = [
    ("cannot decode /srv/pd/work/ab12/source.mp4: no audio", "cannot decode source.mp4: no audio"),
    ("No such file or directory: '/tmp/x y/a b.wav'", "No such file or directory: 'a b.wav'"),
    ('"/var/lib/polydub/polydub.db" is locked', '"polydub.db" is locked'),
    ("ffmpeg: file:///home/ann/.local/share/pd/work/mix.wav failed.", "ffmpeg: mix.wav failed."),
    ("lipsync (/root/.cache/polydub/models/w2l.onnx)", "lipsync (w2l.onnx)"),
    ("PosixPath('/data/work/j1/ingest/audio.wav')", "PosixPath('audio.wav')"),
    ("dir /data/polydub/ missing", "dir polydub missing"),
]


@pytest.mark.parametrize(("text", "expected"), SCRUBBED)
def test_absolute_paths_become_base_names(text, expected):
    assert scrub_paths(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "could not download https://example.com/videos/a.mp4: 404 Not Found",
        "refused to fetch http://127.0.0.1:8000/files/x.mp4: private address",
        "see GET /v3/video-translations/languages for the names",
        "'/v3/assets' takes multipart/form-data",
        "mode is speed / precision, 24/7, and/or 1/2",
        "no slash at all",
    ],
)
def test_urls_api_routes_and_prose_are_left_alone(text):
    assert scrub_paths(text) == text


def test_client_message_of_a_polydub_error_keeps_its_words_without_paths():
    exc = InvalidInputError("the video /home/ann/polydub-data/work/9f/source.mkv has no audio")
    assert client_message(exc) == "the video source.mkv has no audio"


def test_client_message_of_an_unexpected_error_names_type_and_first_line_only():
    exc = FileNotFoundError(2, "No such file or directory")
    exc.filename = "/tmp/polydub-work/j1/separate/speech.wav"
    message = client_message(exc)
    assert message == (
        "internal error while dubbing (FileNotFoundError: [Errno 2] No such file or directory: "
        "'speech.wav')"
    )
    multi = RuntimeError("ffmpeg exited 1 for /srv/d/work/a.wav\nTraceback: /srv/d/secret.py")
    assert (
        client_message(multi)
        == "internal error while dubbing (RuntimeError: ffmpeg exited 1 for a.wav)"
    )
    assert client_message(KeyError()) == "internal error while dubbing (KeyError)"


def test_client_message_is_bounded():
    message = client_message(EngineError("x" * 50_000))
    assert len(message) == MAX_CLIENT_MESSAGE


def test_scrub_strings_reaches_every_string_and_key():
    value = {"a": ["/srv/x/one.wav", {"/srv/k/key.json": ("ok", "/tmp/two.srt")}], "n": 3}
    assert scrub_strings(value) == {"a": ["one.wav", {"key.json": ["ok", "two.srt"]}], "n": 3}
    assert server_paths_in(value) == ["a.0", "a.1./srv/k/key.json[key]", "a.1./srv/k/key.json.1"]
    assert server_paths_in(scrub_strings(value)) == []


def _report_inputs(root: Path) -> tuple[SourceSide, TargetSide]:
    """Real artifacts of a one-line dub, every file in them under the absolute `root`."""
    segment = Segment(index=0, start=0.0, end=1.0, text="Hello.", translation="Hola.")
    transcript = Transcript(language="en", segments=[segment], duration=1.0)
    profile = SpeakerProfile(
        speaker="SPEAKER_00",
        speech_seconds=1.0,
        reference_wav=root / "work/j1/diarize/ref_00.wav",
        reference_seconds=1.0,
        clips=[(0.0, 1.0)],
        pitch=PitchStats(median=120.0, p10=100.0, p90=140.0),
        embedding=[0.1],
        encoder="test",
    )
    source = SourceSide(
        ingested=IngestArtifact(
            source=root / "uploads/client video.mp4",
            info=MediaInfo(duration=1.0, format_name="mp4"),
            mixture_wav=root / "work/j1/ingest/mixture.wav",
            range_start=0.0,
            range_end=1.0,
        ),
        separated=SeparationArtifact(
            speech_wav=root / "work/j1/separate/speech.wav",
            background_wav=root / "work/j1/separate/background.wav",
            raw_speech_wav=root / "work/j1/separate/speech.wav",
            separator="test",
        ),
        diarized=DiarizationArtifact(
            transcript=transcript, speakers=["SPEAKER_00"], method="test", profiles=[profile]
        ),
        separation_key="k1",
        diarization_key="k2",
    )
    translated = TranslationArtifact(
        source_language="en", target_language="es", engine="test", segments=[segment]
    )
    fitted = FitArtifact(
        plan=TimingPlan(source_duration=1.0, max_rate=1.25, dynamic_duration=True), lines=[]
    )
    work = root / "work/j1/es"
    target = TargetSide(
        target="es",
        translated=translated,
        synthesized=SynthesisArtifact(voices={"SPEAKER_00": "kokoro:ef_dora"}, lines=[]),
        fitted=fitted,
        mixed=MixArtifact(
            mix_wav=work / "mix.wav",
            dub_wav=work / "dub.wav",
            integrated_lufs=-16.0,
            music_kept=True,
        ),  # fmt: skip
        rendered=RenderArtifact(
            video=work / "out.mp4",
            srt=work / "out.srt",
            vtt=work / "out.vtt",
            reencoded_video=False,
        ),  # fmt: skip
        quality=QualityArtifact(
            timing=timing_report(translated, fitted),
            intelligibility=IntelligibilityReport(wer=None, reference_words=0, hypothesis=""),
        ),
        lipsync=LipSyncArtifact(
            video=work / "lipsync/face.mp4",
            mode="speed",
            renderer="warp",
            frames=25,
            edited_frames=20,
            phoneme_driven_lines=1,
            audio_driven_lines=0,
            render_fps=25.0,
        ),  # fmt: skip
    )
    return source, target


def test_report_names_no_server_path(tmp_path):
    root = tmp_path / "polydub-data"
    source, target = _report_inputs(root)
    outcomes = [StageOutcome(name="ingest", key="k", cached=False, seconds=0.5)]
    report = build_report(source, target, mode="speed", outcomes=outcomes)
    assert report["source"]["file"] == "client video.mp4"
    assert report["lipsync"]["video"] == "face.mp4"
    assert server_paths_in(report) == []
    assert str(tmp_path) not in repr(report)
    # What the report is for is still there.
    assert report["segments"][0]["translation"] == "Hola."
    assert report["engines"]["voices"] == {"SPEAKER_00": "kokoro:ef_dora"}
