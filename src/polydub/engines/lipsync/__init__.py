"""Lip-sync: redraw the speaker's mouth to follow new speech (warp, exemplar or neural)."""
