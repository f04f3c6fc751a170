"""Face landmarks per frame: detection, FaceMesh, tracking and smoothing over time."""
