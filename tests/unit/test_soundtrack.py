"""The dubbed soundtrack (audio_url) is the rendered video's AAC track when it has one, and
the mix encoded as AAC when it has not (keep_format with another codec)."""

from __future__ import annotations

import pytest

from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.probe import probe
from polydub.pipeline.report import soundtrack

_TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]
_PICTURE = ["-f", "lavfi", "-i", "color=size=64x64:rate=25:duration=2"]


@pytest.fixture
def mix_wav(tmp_path):
    path = tmp_path / "mix.wav"
    run_ffmpeg([*_TONE, str(path)])
    return path


@pytest.mark.parametrize(
    ("case", "name", "codec_args", "copied"),
    [
        ("an mp4 with AAC: its track is copied", "video.mp4", ["-c:a", "aac"], True),
        ("a MKV with MP3 (keep_format): the mix is encoded", "video.mkv", ["-c:a", "mp3"], False),
    ],
)
def test_soundtrack_is_aac_of_the_dub(tmp_path, mix_wav, case, name, codec_args, copied):
    video = tmp_path / name
    # The video's track differs from the mix (44.1 kHz mono) in rate and channels, so the
    # result tells which of the two it came from.
    run_ffmpeg(
        [*_PICTURE, "-i", str(mix_wav), "-c:v", "libx264", *codec_args, "-ar", "48000", "-ac",
         "2", str(video)]
    )  # fmt: skip
    out = soundtrack(video, mix_wav, tmp_path / "video.es.m4a")
    info = probe(out)
    assert info.video is None
    assert info.audio is not None and info.audio.codec == "aac"
    assert info.duration == pytest.approx(2.0, abs=0.1)
    expected = (48000, 2) if copied else (44100, 1)
    assert (info.audio.sample_rate, info.audio.channels) == expected
    assert not list(tmp_path.glob("*.part.m4a"))
