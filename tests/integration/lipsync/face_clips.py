"""Sizes of the generated talking-face clips the lip-sync tests share."""

FPS = 25.0
SECONDS = 5.0
WIDTH, HEIGHT = 960, 540
