"""Fixtures for the separation and enhancement tests: each engine loaded once."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def separator():
    from polydub.engines.separation.spleeter import SpleeterSeparator

    return SpleeterSeparator(threads=2)


@pytest.fixture(scope="session")
def enhancer():
    from polydub.engines.enhance.deepfilter import DeepFilterEnhancer

    return DeepFilterEnhancer()
