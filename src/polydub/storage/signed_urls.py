"""Expiring signed URLs for output files: /v3/files/<key>?expires=<unix>&signature=<hex>.

The signature is HMAC-SHA256, keyed by the service's secret, over "<key>\\n<expires>", so a URL
grants access to one file until one moment, and changing either invalidates it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

FILES_PREFIX = "/v3/files/"


def file_signature(secret: str, key: str, expires: int) -> str:
    message = f"{key}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_file_url(
    base_url: str, secret: str, key: str, ttl_s: int, *, now: float | None = None
) -> str:
    """An absolute URL to the blob `key`, valid for `ttl_s` seconds."""
    expires = int((time.time() if now is None else now) + ttl_s)
    signature = file_signature(secret, key, expires)
    path = FILES_PREFIX + quote(key, safe="/")
    return f"{base_url.rstrip('/')}{path}?expires={expires}&signature={signature}"


def verify_file_signature(
    secret: str, key: str, expires: int, signature: str, *, now: float | None = None
) -> bool:
    """True when the signature matches the key and expiry and the expiry has not passed."""
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(file_signature(secret, key, expires), signature)


def context_file_url(context, key: str | None) -> str | None:
    """The signed URL of a blob with the service's base URL, secret and TTL (None for None);
    the bucket's presigned URL instead when the settings ask for it and the store is S3."""
    if key is None:
        return None
    settings = context.settings
    if settings.storage_presigned_urls and hasattr(context.blobs, "presigned_url"):
        return context.blobs.presigned_url(key, settings.signed_url_ttl_s)
    return signed_file_url(settings.public_base_url, context.secret, key, settings.signed_url_ttl_s)


# Direct uploads to Polydub itself (the local store, or an S3 bucket clients cannot reach):
# PUT /v3/uploads/<asset_id>?expires=<unix>&signature=<hex>. The message differs from a file
# URL's ("upload" cannot be a key's first line), so a download grant never grants an upload.
UPLOADS_PREFIX = "/v3/uploads/"


def upload_signature(secret: str, asset_id: str, expires: int) -> str:
    message = f"upload\n{asset_id}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_upload_url(
    base_url: str, secret: str, asset_id: str, ttl_s: int, *, now: float | None = None
) -> str:
    """An absolute URL that accepts one asset's bytes by PUT for `ttl_s` seconds."""
    expires = int((time.time() if now is None else now) + ttl_s)
    signature = upload_signature(secret, asset_id, expires)
    path = UPLOADS_PREFIX + quote(asset_id, safe="")
    return f"{base_url.rstrip('/')}{path}?expires={expires}&signature={signature}"


def verify_upload_signature(
    secret: str, asset_id: str, expires: int, signature: str, *, now: float | None = None
) -> bool:
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(upload_signature(secret, asset_id, expires), signature)
