"""Speech / background separation engines, by name. Importing this module loads no model."""

from __future__ import annotations

from polydub.engines.registry import Registry
from polydub.engines.separation.base import Separator

SEPARATION_ENGINES = Registry[Separator]("separation")


@SEPARATION_ENGINES.register("spleeter")
def _spleeter(**kwargs) -> Separator:
    """Spleeter 2 stems; kwargs: window_seconds, overlap_seconds, threads."""
    from polydub.engines.separation.spleeter import SpleeterSeparator

    return SpleeterSeparator(**kwargs)


@SEPARATION_ENGINES.register("demucs")
def _demucs(**kwargs) -> Separator:
    """A pulled Hybrid Transformer Demucs; kwargs: model_dir, device, label, window_seconds,
    overlap_seconds, threads."""
    from polydub.engines.separation.demucs import DemucsSeparator

    return DemucsSeparator(**kwargs)
