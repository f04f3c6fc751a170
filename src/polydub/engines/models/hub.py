"""A Hugging Face hub client for whole files: list a repository at a revision, fetch a file.

It speaks the same endpoints huggingface_hub uses, so any hub, mirror or private hub works
(HF_ENDPOINT, HF_TOKEN): `GET /api/models/{repo}/revision/{rev}?blobs=true` for the commit
and the files with their sizes and hashes, `GET /{repo}/resolve/{commit}/{path}` for the bytes.
Downloads go to `<file>.part` and resume with an HTTP Range request, so an interrupted pull
continues where it stopped; a file is renamed into place only after its size and hash match.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from polydub.errors import PolydubError

DEFAULT_ENDPOINT = "https://huggingface.co"
_CHUNK = 1 << 20


class HubError(PolydubError):
    """The hub could not be reached or refused a request; the message says which."""

    code = "model_download_failed"


class ChecksumError(HubError):
    """A downloaded file does not match its expected hash; it was removed."""

    code = "model_checksum_mismatch"


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int | None
    sha256: str | None  # the LFS object id, for large files
    blob_id: str | None  # the git blob id (sha1 of "blob {size}\0" + content)


@dataclass(frozen=True)
class RepoListing:
    repo: str
    commit: str
    files: dict[str, RemoteFile]


# Called with the number of bytes just written (a progress bar advances by it).
Progress = Callable[[int], None]


def hub_endpoint(environ: dict[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return (environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_token(environ: dict[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    return environ.get("HF_TOKEN") or environ.get("HUGGING_FACE_HUB_TOKEN") or None


class HubClient:
    """Args:
    endpoint: the hub's base URL (default: HF_ENDPOINT, else huggingface.co).
    token: a bearer token (default: HF_TOKEN); sent only to the endpoint's own host.
    attempts: tries per file; after a dropped connection the next try resumes.
    timeout_s: per network operation.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        attempts: int = 3,
        timeout_s: float = 30.0,
    ) -> None:
        self.endpoint = (endpoint or hub_endpoint()).rstrip("/")
        self.attempts = max(1, attempts)
        headers = {"User-Agent": "polydub-models"}
        token = token if token is not None else hub_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # httpx drops Authorization when a redirect leaves the host (LFS files live on a CDN).
        self._http = httpx.Client(
            headers=headers, timeout=timeout_s, follow_redirects=True, trust_env=True
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def listing(self, repo: str, revision: str | None) -> RepoListing:
        """The commit `revision` (default "main") points to, and the files at it.

        Raises:
            HubError: not found, not authorised, or the hub is unreachable.
        """
        rev = revision or "main"
        url = f"{self.endpoint}/api/models/{repo}/revision/{quote(rev, safe='')}"
        try:
            response = self._http.get(url, params={"blobs": "true"})
        except httpx.HTTPError as exc:
            raise HubError(f"cannot reach the model hub at {self.endpoint}: {exc}") from exc
        _raise_for_status(response, f"{repo}@{rev}")
        data = response.json()
        files = {}
        for sibling in data.get("siblings", []):
            lfs = sibling.get("lfs") or {}
            files[sibling["rfilename"]] = RemoteFile(
                path=sibling["rfilename"],
                size=lfs.get("size", sibling.get("size")),
                sha256=lfs.get("sha256"),
                blob_id=sibling.get("blobId"),
            )
        commit = data.get("sha")
        if not commit:
            raise HubError(f"the hub gave no commit for {repo}@{rev}")
        return RepoListing(repo, commit, files)

    def download(
        self,
        repo: str,
        commit: str,
        remote: RemoteFile,
        target: Path,
        *,
        sha256: str | None = None,
        progress: Progress | None = None,
    ) -> str:
        """Fetch one file to `target` (via `target.part`, resuming it); returns its sha256.

        The file must match `sha256` when given, else the hub's LFS sha256, else its git blob
        id; a mismatch removes the partial file.

        Raises:
            HubError: the transfer failed `attempts` times (the .part file is kept to resume).
            ChecksumError: the bytes are not the expected ones (the .part file is removed).
        """
        part = target.with_name(target.name + ".part")
        target.parent.mkdir(parents=True, exist_ok=True)
        url = f"{self.endpoint}/{repo}/resolve/{commit}/{quote(remote.path)}"
        last_error: Exception | None = None
        for _ in range(self.attempts):
            try:
                self._fetch(url, part, progress)
                break
            except (httpx.HTTPError, OSError) as exc:
                last_error = exc
        else:
            raise HubError(
                f"downloading {repo}/{remote.path} failed after {self.attempts} tries "
                f"({last_error}); run the same pull again to resume"
            ) from last_error
        if remote.size is not None and part.stat().st_size != remote.size:
            got = part.stat().st_size
            part.unlink()
            raise ChecksumError(
                f"{repo}/{remote.path}: got {got} bytes, the hub lists {remote.size}; removed"
            )
        digest = _check(part, remote, sha256, f"{repo}/{remote.path}")
        os.replace(part, target)
        return digest

    def _fetch(self, url: str, part: Path, progress: Progress | None) -> None:
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self._http.stream("GET", url, headers=headers) as response:
            if response.status_code == 416 and have:  # the part is already whole
                return
            _raise_for_status(response, url.removeprefix(self.endpoint + "/"))
            mode = "ab" if response.status_code == 206 else "wb"
            if mode == "wb" and have and progress:
                progress(-have)  # the server ignored Range: start over
            with open(part, mode) as out:
                # No chunk size: httpx would hold bytes back, and a drop would lose them.
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    if progress:
                        progress(len(chunk))


def _check(part: Path, remote: RemoteFile, sha256: str | None, label: str) -> str:
    digest = sha256_of(part)
    expected = sha256 or remote.sha256
    if expected is not None:
        ok = digest == expected.lower()
    elif remote.blob_id is not None:
        ok = git_blob_id(part) == remote.blob_id
    else:
        ok = True  # nothing to hold it to: the sha256 computed now is recorded
    if not ok:
        part.unlink()
        raise ChecksumError(f"{label} does not match its expected checksum; removed, not used")
    return digest


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def git_blob_id(path: Path) -> str:
    """Git's object id of a file: what the hub lists for files not stored in LFS."""
    h = hashlib.sha1(usedforsecurity=False)
    h.update(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.status_code < 400:
        return
    if response.status_code in (401, 403):
        raise HubError(f"the hub refused {what} ({response.status_code}); set HF_TOKEN")
    if response.status_code == 404:
        raise HubError(f"{what} not found on the hub")
    raise HubError(f"the hub answered {response.status_code} for {what}")
