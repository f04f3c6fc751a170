"""Polydub: self-hosted video translation on bundled models."""

__version__ = "0.1.0"
