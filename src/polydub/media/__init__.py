"""Decode, encode, probe and mux media with ffmpeg."""
