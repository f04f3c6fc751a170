"""The face scan of a video, kept for the next lip-sync of the same video.

Scanning (face landmarks on every frame, and in precision mode the index of the speaker's own
mouths) is about a third of the lipsync stage and depends only on the video: the other
languages of a batch, and a proofread edit dubbed again, reuse it instead of scanning again.
A scan is written to a temporary directory and renamed into place, so a reader never sees half
of one.
"""

from __future__ import annotations

import logging
import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np

from polydub.engines.face.store import LandmarkStore

logger = logging.getLogger(__name__)

# Part of the cache's name: change it when what a scan holds changes.
SCAN_VERSION = 3  # 2: the warp renderer keeps each face's open mouth; 3: identities across cuts


def scan_dir(root: Path, renderer) -> Path:
    """Where the scan for `renderer` lives (its own index of mouths is part of the scan)."""
    return root / f"{renderer.name}-v{SCAN_VERSION}"


def load_scan(root: Path, renderer) -> tuple[LandmarkStore, dict[int, np.ndarray]] | None:
    """The saved landmarks and mouth openings, with the renderer's scan state restored; None
    when there is no usable scan."""
    directory = scan_dir(root, renderer)
    if not (directory / "openings.npz").is_file():
        return None
    try:
        if hasattr(renderer, "observe"):
            state = pickle.loads((directory / "renderer.pkl").read_bytes())
            if not renderer.restore_scan_state(state):
                return None
        with np.load(directory / "openings.npz") as data:
            openings = {int(track): data[track] for track in data.files}
        return LandmarkStore.load(directory), openings
    except (OSError, ValueError, EOFError, AttributeError, pickle.UnpicklingError, KeyError) as exc:
        logger.warning("face scan in %s unusable (%s): scanning again", directory, exc)
        shutil.rmtree(directory, ignore_errors=True)  # so the new scan can take its place
        return None


def save_scan(root: Path, store: LandmarkStore, openings: dict[int, np.ndarray], renderer) -> None:
    """Keep this scan for the next run (best effort: a failure only costs a later rescan)."""
    directory = scan_dir(root, renderer)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".scan-"))
    try:
        store.save(tmp)
        np.savez(tmp / "openings.npz", **{str(track): s for track, s in openings.items()})
        if hasattr(renderer, "scan_state"):
            (tmp / "renderer.pkl").write_bytes(pickle.dumps(renderer.scan_state()))
        try:
            tmp.rename(directory)
        except OSError:  # another run saved the same scan first
            pass
    except OSError as exc:
        logger.warning("could not keep the face scan in %s: %s", directory, exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
