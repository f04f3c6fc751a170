"""Output files, served under expiring signed URLs (no API key: the signature is the grant)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from polydub.api.deps import ContextDep
from polydub.api.errors import ApiError, not_found
from polydub.storage.signed_urls import verify_file_signature

router = APIRouter(prefix="/v3/files", tags=["Files"])

_MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".m4a": "audio/mp4",  # a translation's dubbed soundtrack (audio_url)
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".json": "application/json",
}


@router.get("/{key:path}")
def read_file(
    key: str,
    context: ContextDep,
    expires: int = Query(..., description="Unix time the URL expires at."),
    signature: str = Query(..., description="HMAC-SHA256 of the key and expiry."),
) -> FileResponse:
    """Download an output file through a signed URL; supports HTTP Range requests."""
    if not verify_file_signature(context.secret, key, expires, signature):
        raise ApiError(403, "forbidden", "the file URL is expired or its signature is invalid")
    try:
        path = context.blobs.path(key)
    except ValueError:
        raise not_found("File") from None
    if not path.is_file():
        raise not_found("File")
    media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    # FileResponse answers Range requests with 206 and Content-Range.
    return FileResponse(path, media_type=media_type, filename=path.name)
