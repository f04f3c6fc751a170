"""Blobs (media, captions, uploads): a local directory by default, S3-compatible at scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polydub.config import Settings
    from polydub.storage.local import LocalBlobStore
    from polydub.storage.s3 import S3BlobStore


def open_blob_store(settings: Settings) -> LocalBlobStore | S3BlobStore:
    """The store POLYDUB_STORAGE_URL names: s3://bucket/prefix, a directory, or (unset) a
    directory under the data dir."""
    url = settings.storage_url
    if url and url.startswith("s3://"):
        from polydub.storage.s3 import S3BlobStore

        return S3BlobStore(
            url,
            settings.data_dir / "blob-cache",  # this machine's copies, not shared
            endpoint_url=settings.storage_endpoint_url,
            region=settings.storage_region,
            cache_bytes=settings.blob_cache_bytes,
        )
    from pathlib import Path

    from polydub.storage.local import LocalBlobStore

    if url:
        return LocalBlobStore(Path(url.removeprefix("file://")))
    return LocalBlobStore(settings.data_dir / "blobs")
