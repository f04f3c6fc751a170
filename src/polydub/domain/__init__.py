"""The nouns of Polydub: plain models with no I/O and no framework imports beyond pydantic."""
