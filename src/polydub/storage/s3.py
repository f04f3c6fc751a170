"""Blob storage in an S3-compatible bucket, with a bounded local cache of what is read.

Same interface as LocalBlobStore: `path(key)` returns a local file (downloaded on first use
and kept in the cache), so code that reads blobs works unchanged on any machine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from polydub.storage.atomic import atomic_path
from polydub.storage.cache import files_under, prune

ETAG_SUFFIX = ".etag"  # beside each cached copy: the version of the object it copies


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or "some/prefix/" (always ends with a slash when set)


def parse_s3_url(url: str) -> S3Location:
    """s3://bucket/optional/prefix -> its bucket and key prefix."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
    prefix = parsed.path.strip("/")
    return S3Location(parsed.netloc, prefix + "/" if prefix else "")


def check_key(key: str) -> str:
    """Refuse keys that would escape the store (absolute, `..`) or name no file."""
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or ".." in parts or not parts:
        raise ValueError(f"invalid storage key {key!r}")
    return "/".join(parts)


class S3BlobStore:
    remote = True  # blobs live elsewhere: workers must move checkpoints through the store

    def __init__(
        self,
        url: str,
        cache_root: Path,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        cache_bytes: int = 10 * 1024**3,
        client=None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.location = parse_s3_url(url)
        self.cache_root = cache_root / self.location.bucket / self.location.prefix
        self.cache_root.mkdir(parents=True, exist_ok=True)
        self.cache_bytes = cache_bytes
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )
        self._lock = threading.Lock()

    # -- keys ---------------------------------------------------------------------------------
    def _object(self, key: str) -> str:
        return self.location.prefix + check_key(key)

    def cache_path(self, key: str) -> Path:
        return self.cache_root / check_key(key)

    # -- the LocalBlobStore interface -----------------------------------------------------------
    def path(self, key: str) -> Path:
        """A local copy of the blob, current as of this call (a cached copy is checked against
        the stored object's ETag: another machine may have rewritten it); a path that does
        not exist when the blob does not."""
        target = self.cache_path(key)
        etag = self._etag(key)
        tag_file = target.with_name(target.name + ETAG_SUFFIX)
        if etag is None:
            target.unlink(missing_ok=True)
            return target
        if target.is_file() and tag_file.is_file() and tag_file.read_text() == etag:
            os.utime(target)  # recently used: the last to be evicted
            return target
        if self.download(key, target):
            tag_file.write_text(etag)
            self._prune(keep=target)
        return target

    def presigned_url(self, key: str, ttl_s: int) -> str:
        """A URL that fetches the blob straight from the bucket for `ttl_s` seconds (at most 7
        days: SigV4's limit). Made locally, without a request to the server."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.location.bucket, "Key": self._object(key)},
            ExpiresIn=min(ttl_s, 7 * 24 * 3600),
        )

    def presigned_upload_url(
        self, key: str, ttl_s: int, *, content_type: str, size: int, checksum_b64: str | None
    ) -> tuple[str, dict[str, str]]:
        """A URL that takes the blob's bytes by PUT straight into the bucket, and the headers
        the PUT must send: type, length and (when given) checksum are signed, so the bucket
        refuses another size or content. Made locally, without a request to the server."""
        params = {
            "Bucket": self.location.bucket,
            "Key": self._object(key),
            "ContentType": content_type,
            "ContentLength": size,
        }
        headers = {"Content-Type": content_type}
        if checksum_b64:
            params["ChecksumSHA256"] = checksum_b64
            headers["x-amz-checksum-sha256"] = checksum_b64
        url = self.client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=min(ttl_s, 7 * 24 * 3600)
        )
        self._drop_cached(key)
        return url, headers

    def put_file(self, key: str, source: Path) -> str:
        self.client.upload_file(str(source), self.location.bucket, self._object(key))
        self._drop_cached(key)
        return key

    def move_file(self, key: str, source: Path) -> str:
        """Store `source` under `key` and remove the local file."""
        self.put_file(key, source)
        source.unlink(missing_ok=True)
        return key

    def put_bytes(self, key: str, data: bytes) -> str:
        self.client.put_object(Bucket=self.location.bucket, Key=self._object(key), Body=data)
        self._drop_cached(key)
        return key

    def exists(self, key: str) -> bool:
        return self._etag(key) is not None

    def _etag(self, key: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.location.bucket, Key=self._object(key))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return head["ETag"]

    def delete_prefix(self, prefix: str) -> None:
        prefix = check_key(prefix)
        batch: list[dict] = []
        for key in self.keys(prefix):
            batch.append({"Key": self._object(key)})
            if len(batch) == 1000:  # the most one DeleteObjects call takes
                self._delete(batch)
                batch = []
        if batch:
            self._delete(batch)
        cached = self.cache_path(prefix)
        if cached.is_dir():
            import shutil

            shutil.rmtree(cached, ignore_errors=True)
        else:
            cached.unlink(missing_ok=True)

    # -- beyond the local interface: listing and copying out ------------------------------------
    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix` (as a directory: "a/b" lists "a/b/..." and "a/b" itself)."""
        base = self._object(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=base):
            for item in page.get("Contents", []):
                name = item["Key"]
                if name == base or name.startswith(base.rstrip("/") + "/"):
                    yield name[len(self.location.prefix) :]

    def modified(self, prefix: str) -> dict[str, float]:
        """Key -> when it was last written (Unix seconds), for everything under `prefix`."""
        base = self._object(prefix).rstrip("/") + "/"
        times: dict[str, float] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=base):
            for item in page.get("Contents", []):
                times[item["Key"][len(self.location.prefix) :]] = item["LastModified"].timestamp()
        return times

    def listing(self, prefix: str) -> dict[str, int]:
        """Key -> size of everything under `prefix`."""
        base = self._object(prefix).rstrip("/") + "/"
        sizes: dict[str, int] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=base):
            for item in page.get("Contents", []):
                sizes[item["Key"][len(self.location.prefix) :]] = item["Size"]
        return sizes

    def download(self, key: str, target: Path) -> bool:
        """Copy the blob to `target` atomically; False when there is no such blob."""
        from botocore.exceptions import ClientError

        try:
            with atomic_path(target) as tmp:
                self.client.download_file(self.location.bucket, self._object(key), str(tmp))
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    # -- internals ------------------------------------------------------------------------------
    def _delete(self, objects: list[dict]) -> None:
        self.client.delete_objects(
            Bucket=self.location.bucket, Delete={"Objects": objects, "Quiet": True}
        )

    def _drop_cached(self, key: str) -> None:
        # A rewritten blob must not be served from an older local copy.
        self.cache_path(key).unlink(missing_ok=True)

    def _prune(self, keep: Path) -> None:
        with self._lock:
            files = files_under(self.cache_root)
            prune([f for f in files if f.suffix != ETAG_SUFFIX], self.cache_bytes, keep={keep})
            for tag in (f for f in files if f.suffix == ETAG_SUFFIX):
                if not tag.with_suffix("").exists():  # its copy was evicted
                    tag.unlink(missing_ok=True)


def _is_missing(exc) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def ensure_bucket(store: S3BlobStore) -> None:
    """Create the bucket when it does not exist (a fresh local S3-compatible server)."""
    from botocore.exceptions import ClientError

    try:
        store.client.head_bucket(Bucket=store.location.bucket)
    except ClientError as exc:
        if not _is_missing(exc):
            raise
        store.client.create_bucket(Bucket=store.location.bucket)
