"""Speech enhancement engines, by name. Importing this module loads no model."""

from __future__ import annotations

from polydub.engines.enhance.base import Enhancer
from polydub.engines.registry import Registry

ENHANCE_ENGINES = Registry[Enhancer]("enhance")


@ENHANCE_ENGINES.register("deepfilter")
def _deepfilter(**kwargs) -> Enhancer:
    """DeepFilterNet3; kwargs: attenuation_limit_db, post_filter_beta."""
    from polydub.engines.enhance.deepfilter import DeepFilterEnhancer

    return DeepFilterEnhancer(**kwargs)
