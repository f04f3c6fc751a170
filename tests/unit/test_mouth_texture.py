"""Precision mode's skin-texture restore: the frame's fine detail comes back on the skin band
of a cloned mouth, and the lips keep the clone's own pixels."""

from __future__ import annotations

import cv2
import numpy as np

from polydub.engines.face.landmarks import OUTER_LIPS
from polydub.engines.lipsync.exemplar import keep_skin_texture


def test_skin_band_gets_the_frames_detail_and_lips_stay_cloned():
    rng = np.random.default_rng(1)
    frame = np.clip(128 + rng.normal(0, 25, (120, 160, 3)), 0, 255).astype(np.uint8)
    cloned = cv2.GaussianBlur(frame, (0, 0), 3.0)  # what Poisson blending leaves: no texture
    points = np.zeros((478, 2))
    angles = np.linspace(0, 2 * np.pi, len(OUTER_LIPS), endpoint=False)
    points[list(OUTER_LIPS)] = np.stack([80 + 20 * np.cos(angles), 60 + 8 * np.sin(angles)], 1)
    mask = np.zeros((120, 160), np.uint8)
    cv2.ellipse(mask, (80, 60), (55, 40), 0, 0, 360, 255, -1)
    out = keep_skin_texture(cloned, frame, points, mask, scale=100.0)

    def detail(img, where):
        img = img.astype(np.float32)
        return float(np.abs(img - cv2.GaussianBlur(img, (0, 0), 1.2))[where].mean())

    skin = np.zeros_like(mask)
    cv2.ellipse(skin, (80, 60), (50, 36), 0, 0, 360, 255, -1)
    cv2.ellipse(skin, (80, 60), (34, 20), 0, 0, 360, 0, -1)
    skin = skin > 0
    assert detail(out, skin) > 0.8 * detail(frame, skin) > 2 * detail(cloned, skin)
    lips = np.zeros_like(mask)
    cv2.ellipse(lips, (80, 60), (14, 5), 0, 0, 360, 255, -1)
    assert np.abs(out[lips > 0].astype(int) - cloned[lips > 0].astype(int)).max() <= 2
    outside = mask == 0
    assert np.abs(out[outside].astype(int) - cloned[outside].astype(int)).mean() < 3
