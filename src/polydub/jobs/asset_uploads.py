"""Direct uploads: an asset whose bytes go straight to storage, then are verified.

1. `open_direct_upload` records the asset as `pending_upload` with what the client declared
   (name, MIME type, exact size, optional SHA-256) and `upload_slot` says where to PUT it: the
   bucket's own presigned URL (S3 with presigned URLs on), else Polydub's signed upload URL
   (polydub.api.routes.asset_direct_uploads), which works on every store.
2. `complete_upload` checks that the object exists, has the declared size (and checksum), and
   is, by its content, what was declared (sniffed and decoded like an upload to POST
   /v3/assets); only then is the asset `completed` and usable as an input. Content that fails
   is removed and the asset `failed`, for good: a client starts a new upload.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from pathlib import Path

from sqlalchemy import select

from polydub.errors import InvalidInputError, NotFoundError, NotReadyError, PolydubError
from polydub.jobs.models import Asset, AssetUploadBatch, new_id
from polydub.media import declared_types
from polydub.media.sniff import SniffedType, UnsupportedContent, confirm_media, sniff_file
from polydub.storage.signed_urls import signed_upload_url

logger = logging.getLogger(__name__)

UPLOAD_URL_TTL_S = 3600
PENDING, PROCESSING, COMPLETED, FAILED = "pending_upload", "processing", "completed", "failed"
# A failure nothing can fix (the declaration itself was refused): never re-driven.
INVALID_DECLARATION = "invalid_declaration"


def identify_upload(path: Path) -> SniffedType:
    """What an uploaded file is, by its content.

    Raises:
        InvalidInputError: param `file`, saying what is wrong with the content.
    """
    sniffed = sniff_file(path)
    if sniffed is None:
        raise InvalidInputError(
            "unsupported file content: upload a video (mp4, mov, webm, mkv, avi), audio (wav, "
            "mp3, m4a, ogg, flac), image (png, jpeg) or caption (srt, vtt) file",
            param="file",
        )
    try:
        return confirm_media(path, sniffed)
    except UnsupportedContent as exc:
        raise InvalidInputError(f"the file cannot be used: {exc}", param="file") from exc


def declaration_problem(
    content_type: str, size_bytes: int, max_bytes: int
) -> tuple[str, str] | None:
    """(param, why) when a declared file cannot be uploaded (unsupported type, bad size)."""
    if not declared_types.is_accepted(content_type):
        return "content_type", (
            f"content_type {content_type!r} is not supported; use one of "
            + ", ".join(declared_types.accepted_types())
        )
    if size_bytes <= 0:
        return "size_bytes", "size_bytes must be greater than 0"
    if size_bytes > max_bytes:
        return "size_bytes", (
            f"size_bytes {size_bytes} is larger than the upload limit of {max_bytes} bytes"
        )
    return None


def open_direct_upload(
    owner_id: str,
    *,
    filename: str,
    content_type: str,
    size_bytes: int,
    checksum_sha256: str | None,
    batch_id: str | None = None,
    batch_index: int | None = None,
    refused: str | None = None,
) -> Asset:
    """A new pending asset row (not yet added to a session); `refused` records a batch item
    whose declaration was refused, as a failed asset, so it fails alone."""
    asset = Asset(
        id=new_id(),  # now, not at insert: the storage key is named by it
        owner_id=owner_id,
        filename=(Path(filename).name or "upload")[:255],
        content_type=declared_types.normalise(content_type)[:100],
        size=size_bytes,
        status=PENDING,
        checksum_sha256=checksum_sha256.lower() if checksum_sha256 else None,
        upload_batch_id=batch_id,
        batch_index=batch_index,
    )
    if refused is None:
        fmt = declared_types.storage_format(content_type)
        asset.kind = declared_types.declared_kind(content_type)
        asset.storage_key = f"assets/{asset.id}/content.{fmt}"
    else:
        asset.kind, asset.storage_key = "unknown", f"assets/{asset.id}/content"
        asset.size = 0  # what was declared may not even fit the column
        asset.status = FAILED
        asset.failure = {"code": INVALID_DECLARATION, "message": refused}
    return asset


def upload_slot(context, asset: Asset) -> dict:
    """Where and how to PUT a pending asset's bytes (HeyGen's upload slot fields)."""
    settings = context.settings
    if settings.storage_presigned_urls and hasattr(context.blobs, "presigned_upload_url"):
        checksum_b64 = None
        if asset.checksum_sha256:
            checksum_b64 = base64.b64encode(bytes.fromhex(asset.checksum_sha256)).decode()
        url, headers = context.blobs.presigned_upload_url(
            asset.storage_key,
            UPLOAD_URL_TTL_S,
            content_type=asset.content_type,
            size=asset.size,
            checksum_b64=checksum_b64,
        )
    else:
        url = signed_upload_url(
            settings.public_base_url, context.secret, asset.id, UPLOAD_URL_TTL_S
        )
        headers = {"Content-Type": asset.content_type}
    return {
        "asset_id": asset.id,
        "upload_url": url,
        "upload_headers": headers,
        "expires_in_seconds": UPLOAD_URL_TTL_S,
        "max_bytes": asset.size,
        "status": asset.status,
    }


def complete_upload(
    context, owner_id: str, asset_id: str, *, checksum_sha256: str | None = None
) -> Asset:
    """Verify a direct upload's object and mark the asset completed; idempotent.

    Raises:
        NotFoundError: no such asset of this owner.
        NotReadyError: nothing was uploaded yet (the asset stays pending).
        InvalidInputError: the object is not what was declared (the asset is now failed).
    """
    asset = _owned(context, owner_id, asset_id)
    if asset.status == COMPLETED:
        return asset
    if asset.status == FAILED:
        raise InvalidInputError(_failure_message(asset), param="file")
    if not context.blobs.exists(asset.storage_key):
        raise NotReadyError(
            f"no file has been uploaded for asset {asset.id!r}: PUT it to the upload_url "
            "first, then complete the upload",
            param="asset_id",
        )
    try:
        sniffed = _verify(context, asset, checksum_sha256)
    except InvalidInputError as exc:
        context.blobs.delete_prefix(asset.storage_key)
        _mark_failed(context, asset.id, "invalid_content", exc.message)
        raise
    key = f"assets/{asset.id}/content.{sniffed.format}"
    if key != asset.storage_key:  # declared as a sibling format: name the blob by its content
        context.blobs.put_file(key, context.blobs.path(asset.storage_key))
        context.blobs.delete_prefix(asset.storage_key)
    with context.db.session() as session:
        row = session.get(Asset, asset.id)
        if row is None:
            raise NotFoundError("asset not found", param="asset_id")  # deleted meanwhile
        row.status, row.failure = COMPLETED, None
        row.content_type, row.kind, row.storage_key = sniffed.content_type, sniffed.kind, key
    logger.info("asset %s direct upload completed: %s, %d bytes", asset.id, row.kind, row.size)
    return row


def complete_batch_items(context, owner_id: str, asset_ids: list[str]) -> None:
    """Complete each asset of a batch on its own: one bad file fails only itself. An asset
    with nothing uploaded fails too (a batch completion settles every item)."""
    for asset_id in asset_ids:
        try:
            complete_upload(context, owner_id, asset_id)
        except NotReadyError as exc:
            _mark_failed(context, asset_id, "upload_missing", exc.message)
        except PolydubError:
            pass  # recorded on the asset by complete_upload
        except Exception:  # storage trouble: left processing, a repeated completion re-drives
            logger.exception("asset %s: verifying the direct upload failed", asset_id)


def mark_processing(context, owner_id: str, batch_id: str) -> list[str]:
    """The batch's assets still to verify (pending or left processing), now processing."""
    with context.db.session() as session:
        rows = session.scalars(
            select(Asset).where(
                Asset.owner_id == owner_id,
                Asset.upload_batch_id == batch_id,
                Asset.status.in_((PENDING, PROCESSING)),
            )
        ).all()
        for row in rows:
            row.status = PROCESSING
        return [row.id for row in sorted(rows, key=lambda r: r.batch_index or 0)]


def owned_batch(session, owner_id: str, batch_id: str) -> AssetUploadBatch:
    batch = session.get(AssetUploadBatch, batch_id)
    if batch is None or batch.owner_id != owner_id:
        raise NotFoundError("asset batch not found", param="batch_id")
    return batch


def _owned(context, owner_id: str, asset_id: str) -> Asset:
    with context.db.session() as session:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.owner_id != owner_id:
            raise NotFoundError("asset not found", param="asset_id")
    return asset


def _verify(context, asset: Asset, checksum_sha256: str | None) -> SniffedType:
    path = context.blobs.path(asset.storage_key)
    size = path.stat().st_size
    if size != asset.size:
        raise InvalidInputError(
            f"the uploaded file has {size} bytes, but size_bytes declared {asset.size}",
            param="file",
        )
    expected = {c.lower() for c in (asset.checksum_sha256, checksum_sha256) if c}
    if expected and expected != {_sha256(path)}:
        raise InvalidInputError(
            "the uploaded file's SHA-256 does not match checksum_sha256", param="file"
        )
    sniffed = identify_upload(path)
    if not declared_types.admits(asset.content_type, sniffed.format):
        raise InvalidInputError(
            f"the uploaded file is {sniffed.content_type} ({sniffed.format}), but "
            f"content_type declared {asset.content_type}",
            param="file",
        )
    return sniffed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mark_failed(context, asset_id: str, code: str, message: str) -> None:
    with context.db.session() as session:
        row = session.get(Asset, asset_id)
        if row is not None and row.status != COMPLETED:
            row.status, row.failure = FAILED, {"code": code, "message": message}


def _failure_message(asset: Asset) -> str:
    return (asset.failure or {}).get("message") or "the upload failed"
