"""A local model hub for tests: the Hugging Face hub's file protocol, as huggingface_hub uses it.

`GET /api/models/{repo}/revision/{rev}` answers the commit and the files (with `size`,
`blobId`, and `lfs.sha256` for large files); `HEAD|GET /{repo}/resolve/{rev}/{path}` serves a
file with ETag, X-Repo-Commit and Content-Length headers and honours `Range: bytes=N-`.
Faults for tests: drop the connection after N bytes of a file (once), or serve other bytes
than the listing describes. Every request is logged with its Range header.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_THRESHOLD = 10_000  # files at least this big are listed as LFS objects, as on the hub


@dataclass
class HubRepo:
    repo: str  # "owner/name"
    files: dict[str, Path]
    commit: str = ""  # default: derived from the files' hashes

    def __post_init__(self) -> None:
        if not self.commit:
            h = hashlib.sha1(self.repo.encode())
            for path in sorted(self.files):
                h.update(path.encode() + file_sha256(self.files[path]).encode())
            self.commit = h.hexdigest()


@dataclass
class HubState:
    repos: dict[str, HubRepo]
    token: str | None = None
    drop_after: dict[tuple[str, str], int] = field(default_factory=dict)  # once each
    corrupt: set[tuple[str, str]] = field(default_factory=set)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


def _listing(repo: HubRepo) -> dict:
    siblings = []
    for path, file in sorted(repo.files.items()):
        data = file.read_bytes()
        sibling = {"rfilename": path, "size": len(data), "blobId": git_blob_id(data)}
        if len(data) >= LFS_THRESHOLD:
            sibling["lfs"] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "pointerSize": 134,
            }
        siblings.append(sibling)
    return {"id": repo.repo, "modelId": repo.repo, "sha": repo.commit, "siblings": siblings}


def _handler(state: HubState):
    api = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/revision/(?P<rev>[^/]+)$")
    resolve = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_HEAD(self):
            self._serve(body=False)

        def do_GET(self):
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            state.log.append((self.command, path, self.headers.get("Range")))
            if state.token and self.headers.get("Authorization") != f"Bearer {state.token}":
                return self._reply(401, b'{"error":"Invalid credentials"}', body)
            if m := api.match(path):
                repo = state.repos.get(m["repo"])
                if repo is None or m["rev"] not in ("main", repo.commit):
                    return self._reply(404, b'{"error":"Revision Not Found"}', body)
                return self._reply(200, json.dumps(_listing(repo)).encode(), body)
            if m := resolve.match(path):
                repo = state.repos.get(m["repo"])
                if repo is None or m["rev"] not in ("main", repo.commit):
                    return self._reply(404, b"Entry not found", body)
                file = repo.files.get(m["path"])
                if file is None:
                    return self._reply(404, b"Entry not found", body)
                return self._file(repo, m["path"], file.read_bytes(), body)
            return self._reply(404, b"not found", body)

        def _file(self, repo: HubRepo, path: str, data: bytes, body: bool) -> None:
            etag = hashlib.sha256(data).hexdigest() if len(data) >= LFS_THRESHOLD else None
            etag = etag or git_blob_id(data)
            if (repo.repo, path) in state.corrupt:
                data = bytes([data[0] ^ 0xFF]) + data[1:]  # same size, other bytes
            start, status = 0, 200
            if (r := self.headers.get("Range")) and (m := re.match(r"bytes=(\d+)-$", r)):
                start = int(m[1])
                if start >= len(data):
                    return self._reply(416, b"", body)
                status = 206
            chunk = data[start:]
            self.send_response(status)
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("ETag", f'"{etag}"')
            self.send_header("X-Repo-Commit", repo.commit)
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if not body:
                return
            cut = state.drop_after.pop((repo.repo, path), None)
            if cut is not None and cut < len(chunk):
                self.wfile.write(chunk[:cut])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # the client sees a short body
                self.close_connection = True
                return
            self.wfile.write(chunk)

        def _reply(self, status: int, payload: bytes, body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if body:
                self.wfile.write(payload)

    return Handler


@contextmanager
def serving_hub(state: HubState) -> Iterator[str]:
    """Run the hub on a free loopback port while the block runs; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
