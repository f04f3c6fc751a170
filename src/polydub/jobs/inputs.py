"""Job inputs: a URL downloaded behind the SSRF guard, or an uploaded asset's blob."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse

import httpx
from sqlalchemy.orm import Session

from polydub.errors import InvalidInputError, NotReadyError
from polydub.jobs.models import Asset
from polydub.jobs.netguard import UnsafeUrlError, check_url, guarded_client
from polydub.jobs.spec import MediaRef
from polydub.storage.atomic import atomic_path, exclusive_lock

DOWNLOAD_TIMEOUT_S = 60.0


def check_ref(
    session: Session, owner_id: str, ref: dict, param: str, *, allow_private: bool
) -> None:
    """At request time: an asset must exist and be the caller's; a URL must pass the guard.

    Raises:
        InvalidInputError: with `param` naming the field (`video.url`, `audio.asset_id`, ...).
    """
    if ref["type"] == "asset_id":
        asset = session.get(Asset, ref["asset_id"])
        if asset is None or asset.owner_id != owner_id:
            raise InvalidInputError(
                f"asset {ref['asset_id']!r} not found", param=f"{param}.asset_id"
            )
        check_asset_ready(asset, param)
        return
    try:
        check_url(ref["url"], allow_private=allow_private)
    except UnsafeUrlError as exc:
        raise InvalidInputError(str(exc), param=f"{param}.url") from exc


def check_callback_url(url: str | None, *, allow_private: bool) -> None:
    """At request time: a webhook URL must pass the SSRF guard.

    Raises:
        InvalidInputError: param callback_url.
    """
    if url:
        try:
            check_url(url, allow_private=allow_private)
        except UnsafeUrlError as exc:
            raise InvalidInputError(str(exc), param="callback_url") from exc


def download(url: str, downloads: Path, *, max_bytes: int, allow_private: bool) -> Path:
    """Download `url` once (named by the URL's hash, so a resumed job finds it again).

    Every connection, redirects included, is checked at connect time. Concurrent jobs on one
    URL download it once: the others wait on its lock, then reuse the file; the file appears
    whole (a temporary of this download's own, renamed), so no job reads a part.

    Raises:
        InvalidInputError: refused by the guard, too large, or the download failed.
    """
    suffix = Path(urlparse(url).path).suffix.lower()[:8] or ".bin"
    target = downloads / (hashlib.sha256(url.encode()).hexdigest()[:24] + suffix)
    if target.is_file():
        return target
    with exclusive_lock(downloads / f".{target.name}.lock"):
        if target.is_file():  # an identical job fetched it while this one waited
            return target
        try:
            check_url(url, allow_private=allow_private)
            with guarded_client(
                allow_private=allow_private, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True
            ) as client:
                with client.stream("GET", url) as response:
                    response.raise_for_status()
                    with atomic_path(target) as part:
                        _copy_limited(response, part, max_bytes)
        except UnsafeUrlError as exc:
            raise InvalidInputError(f"refused to fetch {url}: {exc}", param="video.url") from exc
        except httpx.HTTPError as exc:
            raise InvalidInputError(
                f"could not download {url}: {download_failure(exc)}", param="video.url"
            ) from exc
    return target


def download_failure(exc: httpx.HTTPError) -> str:
    """What went wrong with a download, in words (httpx's own text spans lines and links)."""
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        return f"the server answered {response.status_code} {response.reason_phrase}".strip()
    if isinstance(exc, httpx.TimeoutException):
        return "the server did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect to the server"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _copy_limited(response: httpx.Response, part: Path, max_bytes: int) -> None:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise InvalidInputError(f"the file is larger than {max_bytes} bytes", param="video.url")
    size = 0
    with open(part, "wb") as f:
        for chunk in response.iter_bytes(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise InvalidInputError(
                    f"the file is larger than {max_bytes} bytes", param="video.url"
                )
            f.write(chunk)


def resolve_input(context, owner_id: str, ref: MediaRef, param: str) -> Path:
    """The local file behind a job's media reference: the asset's blob, the URL downloaded, or
    (a CLI job) the path itself.

    Raises:
        InvalidInputError: with `param` naming the field (`video.url`, `srt.asset_id`, ...).
    """
    settings = context.settings
    if ref.kind == "path":
        return Path(ref.value)
    if ref.kind == "asset":
        return context.blobs.path(owned_asset(context, owner_id, ref.value, param).storage_key)
    try:
        return download(
            ref.value,
            settings.data_dir / "inputs",
            max_bytes=settings.max_download_bytes,
            allow_private=settings.allow_private_urls,
        )
    except InvalidInputError as exc:
        exc.param = f"{param}.url"
        raise


def owned_asset(context, owner_id: str, asset_id: str, param: str) -> Asset:
    """The caller's asset row.

    Raises:
        InvalidInputError: `<param>.asset_id`, when it is gone or another key's.
    """
    with context.db.session() as session:
        asset = session.get(Asset, asset_id)
    if asset is None or asset.owner_id != owner_id:
        raise InvalidInputError(f"asset {asset_id!r} not found", param=f"{param}.asset_id")
    check_asset_ready(asset, param)
    return asset


def check_asset_ready(asset: Asset, param: str) -> None:
    """A direct upload's asset is usable only once completed (its bytes verified).

    Raises:
        NotReadyError: 409 `<param>.asset_id`, saying what the asset still needs.
    """
    if asset.status == "completed":
        return
    if asset.status == "failed":
        reason = (asset.failure or {}).get("message", "its upload failed")
        message = f"asset {asset.id!r} cannot be used: {reason}"
    else:
        message = (
            f"asset {asset.id!r} is not ready: its direct upload is {asset.status}; PUT the "
            f"file to its upload_url, then POST /v3/assets/{asset.id}/complete"
        )
    raise NotReadyError(message, param=f"{param}.asset_id")
