"""Speed-mode lip-sync renderer: CPU and wall milliseconds per frame, by component, and
whether two source trees draw the same frames.

    .venv/bin/python bench/lipsync_frame_bench.py [--clip PATH ...] [--src DIR ...]

Each clip is scanned once here (the pipeline's face scan, smoothed landmarks); then each
`--src` tree (default: this one's src/; give the old one first for before/after) renders every
frame with a face in a child process of its own, as the lip-sync stage does (one BLAS thread,
OpenCV as configured), with mouth targets from a generated syllable curve. Decoding runs on
the same thread between frames (one decoder thread), so the CPU clock around a render counts
the render alone. Per tree it prints ms/frame for `render` and its components (the warp
module's functions found by name), and `seam` (seam_energy_ratio on the edit, which the stage
also runs per frame). With two or more trees, the later ones' frames (every `--keep`th), masks
and seam ratios are compared with the first's.

Without --clip: the generated 60 s 720p clip of `polydub bench` and the real footage
`speaking-frontal` of `polydub bench-lipsync --real`, where present in the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "polydub"
DEFAULT_CLIPS = (
    CACHE / "bench-clips" / "face-60s-720p.mp4",
    CACHE / "face-footage" / "clips" / "speaking-frontal.mp4",
)
# Functions of the warp module timed inside render (those that exist in the tree measured).
COMPONENTS = ("_warp_region", "region_mask", "_shade_cavity")
# The displacement field's spline (fit and evaluation), under either name.
SPLINES = ("RBFInterpolator", "ThinPlateSpline")


def scan(clip: Path, out: Path) -> None:
    """The largest face's smoothed landmarks per frame (nan where none), as the stage sees."""
    from polydub.engines.face.landmarks import face_scale
    from polydub.engines.face.store import LandmarkStore
    from polydub.pipeline.lipsync import scan_faces

    with tempfile.TemporaryDirectory() as tmp:
        store = LandmarkStore(Path(tmp))
        scan_faces(clip, store)
        points = np.full((store.frames, 478, 2), np.nan, np.float32)
        for i in range(store.frames):
            faces = store.faces(i)
            if faces:
                points[i] = max(faces.values(), key=face_scale)
        store.close()
    np.save(out, points)


def _timed(module, name: str, spent: dict[str, float]) -> None:
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - started

    setattr(module, name, wrapper)


def _timed_spline(module, name: str, spent: dict[str, float]) -> None:
    """Time a spline class's fit and its calls, as `spline`."""
    original = getattr(module, name)

    def fit(*args, **kwargs):
        started = time.process_time()
        field = original(*args, **kwargs)
        spent["spline"] = spent.get("spline", 0.0) + time.process_time() - started

        def evaluate(query):
            started = time.process_time()
            try:
                return field(query)
            finally:
                spent["spline"] = spent.get("spline", 0.0) + time.process_time() - started

        return evaluate

    setattr(module, name, fit)


def child(clip: Path, landmarks: Path, out: Path, keep: int) -> None:
    """Render every frame with a face; write timings, seam ratios and sampled frames."""
    from threadpoolctl import threadpool_limits

    from polydub.engines.lipsync import warp
    from polydub.engines.lipsync.base import MouthTarget
    from polydub.engines.lipsync.seams import seam_energy_ratio
    from polydub.face_samples import syllable_curve
    from polydub.media.frames import read_frames

    points = np.load(landmarks)
    spent: dict[str, float] = {}
    for name in COMPONENTS:
        if hasattr(warp, name):
            _timed(warp, name, spent)
    for name in SPLINES:
        if hasattr(warp, name):
            _timed_spline(warp, name, spent)
    renderer = warp.MouthWarper()
    curve = syllable_curve(len(points) / 25.0 + 1, 25.0, seed=1)
    cpu = {"render": 0.0, "seam": 0.0}
    wall = {"render": 0.0, "seam": 0.0}
    seams, kept, frames = [], {}, 0
    with threadpool_limits(limits=1, user_api="blas"):
        for frame in read_frames(clip, threads=1):
            if frame.index >= len(points) or np.isnan(points[frame.index]).any():
                continue
            k = frame.index
            target = MouthTarget(0.08 + 0.25 * float(curve[k]), 1.0 + 0.1 * np.sin(k / 7.0))
            c0, w0 = time.process_time(), time.perf_counter()
            edit = renderer.render(frame.rgb, points[k], target)
            c1, w1 = time.process_time(), time.perf_counter()
            x0, y0, x1, y1 = edit.box
            box_mask = edit.mask if edit.mask.shape[:2] != frame.rgb.shape[:2] else None
            if box_mask is None:  # a full-frame mask (the API before box-sized masks)
                box_mask = edit.mask[y0:y1, x0:x1]
            seam = seam_energy_ratio(frame.rgb[y0:y1, x0:x1], edit.rgb[y0:y1, x0:x1], box_mask)
            c2, w2 = time.process_time(), time.perf_counter()
            cpu["render"] += c1 - c0
            cpu["seam"] += c2 - c1
            wall["render"] += w1 - w0
            wall["seam"] += w2 - w1
            seams.append(seam)
            if frames % keep == 0:
                kept[f"rgb{k}"] = edit.rgb
                kept[f"mask{k}"] = box_mask
                kept[f"box{k}"] = np.array(edit.box)
            frames += 1
    np.savez(out.with_suffix(".npz"), seams=np.array(seams), **kept)
    out.write_text(json.dumps({"frames": frames, "cpu": cpu, "wall": wall, "components": spent}))


def measure(src: Path, clip: Path, landmarks: Path, out: Path, keep: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    args = [sys.executable, __file__, "--child", str(clip), str(landmarks), str(out), str(keep)]
    subprocess.run(args, env=env, check=True)
    return json.loads(out.read_text())


def print_timings(label: str, result: dict) -> None:
    n = max(result["frames"], 1)
    parts = "  ".join(f"{k} {v / n * 1e3:.2f}" for k, v in sorted(result["components"].items()))
    print(
        f"  {label}: {result['frames']} frames; render CPU {result['cpu']['render'] / n * 1e3:.2f}"
        f" ms/frame (wall {result['wall']['render'] / n * 1e3:.2f}); seam CPU "
        f"{result['cpu']['seam'] / n * 1e3:.2f} ms/frame; components (CPU ms/frame): {parts}"
    )


def _mask_diff(a, b, k: str) -> float:
    """Largest difference of two frames' blend masks (each given over its own box)."""
    shape = a[f"rgb{k}"].shape[:2]
    full = []
    for run in (a, b):
        x0, y0, x1, y1 = run[f"box{k}"]
        mask = np.zeros(shape, np.float32)
        mask[y0:y1, x0:x1] = run[f"mask{k}"]
        full.append(mask)
    return float(np.abs(full[0] - full[1]).max())


def compare(first: Path, other: Path) -> str:
    a, b = np.load(first.with_suffix(".npz")), np.load(other.with_suffix(".npz"))
    seam = np.abs(a["seams"] - b["seams"]).max() if len(a["seams"]) else 0.0
    diffs, mask = [], 0.0
    for key in a.files:
        if key.startswith("rgb"):
            diffs.append(np.abs(a[key].astype(np.int16) - b[key].astype(np.int16)))
        elif key.startswith("mask"):
            mask = max(mask, _mask_diff(a, b, key[4:]))
    pixels = np.stack(diffs) if diffs else np.zeros(1)
    return (
        f"{len(diffs)} frames compared: max |pixel diff| {int(pixels.max())}, mean "
        f"{pixels.mean():.2e}, pixels differing {np.count_nonzero(pixels) / pixels.size:.2e}; "
        f"max |mask diff| {mask:.1e}; max |seam ratio diff| {seam:.1e}"
    )


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        clip, landmarks, out, keep = sys.argv[2:6]
        child(Path(clip), Path(landmarks), Path(out), int(keep))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, action="append")
    parser.add_argument("--src", type=Path, action="append")
    parser.add_argument("--keep", type=int, default=0, help="compare every Nth frame")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE / "src"))  # the scan uses this tree
    clips = args.clip or [c for c in DEFAULT_CLIPS if c.exists()]
    sources = args.src or [HERE / "src"]
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="lipsync-frame-bench-") as tmp:
        root = Path(tmp)
        for c, clip in enumerate(clips):
            landmarks = root / f"clip{c}.npy"
            scan(clip, landmarks)
            # About 60 frames compared per clip, unless told.
            keep = args.keep or max(1, len(np.load(landmarks)) // 60)
            print(f"{clip.name}:")
            results = []
            for s, src in enumerate(sources):
                out = root / f"clip{c}-src{s}.json"
                print_timings(str(src), measure(src, clip, landmarks, out, keep))
                results.append(out)
            for src, out in zip(sources[1:], results[1:], strict=True):
                print(f"  {src} against {sources[0]}: {compare(results[0], out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
