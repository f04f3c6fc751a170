"""A montage PNG of mouths for a person to look at: the source's mouth above the dub's, on the
same frames, with the frame number and what happened to the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from polydub.engines.face.landmarks import OUTER_LOWER_LIP, OUTER_UPPER_LIP
from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.media.frames import read_frames

TILE_W, TILE_H = 192, 144
LABEL_H = 14


def _mouth_box(points: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """A 4:3 box around the lips with a margin of half their width (chin and nose edge show)."""
    lips = points[list(OUTER_UPPER_LIP + OUTER_LOWER_LIP)]
    centre = lips.mean(axis=0)
    half_w = max(np.ptp(lips[:, 0]) * 1.0, 12.0)
    half_h = half_w * TILE_H / TILE_W
    x0, x1 = int(centre[0] - half_w), int(centre[0] + half_w)
    y0, y1 = int(centre[1] - half_h), int(centre[1] + half_h)
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


def _tile(rgb: np.ndarray, box: tuple[int, int, int, int]) -> Image.Image:
    x0, y0, x1, y1 = box
    return Image.fromarray(rgb[y0:y1, x0:x1]).resize((TILE_W, TILE_H), Image.BICUBIC)


def _changed(source: np.ndarray, dubbed: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean absolute difference of the two frames inside `box`; 0 below two grey levels (the
    re-encoding alone) or where nothing was redrawn."""
    x0, y0, x1, y1 = box
    a, b = source[y0:y1, x0:x1].astype(np.int16), dubbed[y0:y1, x0:x1].astype(np.int16)
    diff = float(np.abs(a - b).mean()) if a.size and a.shape == b.shape else 0.0
    return diff if diff > 2.0 else 0.0


def mouth_montage(
    source: Path,
    dubbed: Path,
    frames: list[int],
    labels: dict[int, str],
    out: Path,
    near: dict[int, np.ndarray] | None = None,
) -> Path:
    """Write `out`: per chosen frame a column, the source's mouth on top and the dub's below
    (cropped at the same place, from the source's landmarks).

    Args:
        frames: source frame indices (the dub must be on the source timeline).
        labels: a short note per frame (the line's status).
        near: per frame, a point near the speaker's face (picks the face among several).
    """
    wanted = sorted(set(frames))
    tiles: list[tuple[int, Image.Image, Image.Image]] = []
    pairs = zip(read_frames(source), read_frames(dubbed), strict=False)
    for a, b in pairs:
        if not wanted or a.index > wanted[-1]:
            break
        if a.index not in wanted:
            continue
        # A fresh landmarker per chosen frame: they are far apart, so there is nothing to
        # follow between them, and a fresh one searches at full range at once (small faces).
        with MediaPipeFaceLandmarker() as landmarker:
            faces = landmarker.landmarks(a.rgb)
        if not faces:
            continue
        height, width = a.rgb.shape[:2]
        target = (near or {}).get(a.index)
        if target is not None:
            face = min(faces, key=lambda f: float(np.linalg.norm(f.mean(axis=0) - target)))
        else:
            # The face whose mouth the dub changed most: the one that was lip-synced (the
            # largest face when none was changed).
            face = max(
                faces,
                key=lambda f: (
                    _changed(a.rgb, b.rgb, _mouth_box(f, width, height)),
                    np.ptp(f[:, 0]),
                ),
            )
        box = _mouth_box(face, width, height)
        tiles.append((a.index, _tile(a.rgb, box), _tile(b.rgb, box)))
    columns = max(len(tiles), 1)
    sheet = Image.new("RGB", (columns * TILE_W, 2 * TILE_H + 2 * LABEL_H), (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    for k, (index, top, bottom) in enumerate(tiles):
        x = k * TILE_W
        draw.text((x + 3, 1), f"source #{index}", fill=(230, 230, 230))
        sheet.paste(top, (x, LABEL_H))
        draw.text(
            (x + 3, LABEL_H + TILE_H + 1), f"dub: {labels.get(index, '')}", fill=(230, 230, 230)
        )
        sheet.paste(bottom, (x, 2 * LABEL_H + TILE_H))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
