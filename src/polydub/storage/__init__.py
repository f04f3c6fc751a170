"""Blobs (media, captions, uploads): a local directory by default, S3-compatible at scale."""
