"""Concurrent writers of one file never collide: blob writes and input downloads (issue 16)."""

from __future__ import annotations

import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from polydub.jobs.inputs import download
from polydub.storage.local import LocalBlobStore

SIZE = 1 << 20


def test_concurrent_put_file_of_one_key_never_fails_nor_tears(tmp_path):
    # Two identical jobs store the same output key at the same moment.
    sources = []
    for i in range(6):
        source = tmp_path / f"source{i}.bin"
        source.write_bytes(bytes([i]) * SIZE)
        sources.append(source)
    store = LocalBlobStore(tmp_path / "blobs")

    def put(i: int) -> None:
        for _ in range(10):
            store.put_file("translations/x/video.mp4", sources[i])
            store.put_bytes("translations/x/report.json", bytes([i]) * 1000)

    with ThreadPoolExecutor(len(sources)) as pool:
        list(pool.map(put, range(len(sources))))  # re-raises any writer's error
    video = store.path("translations/x/video.mp4").read_bytes()
    assert len(video) == SIZE and len(set(video)) == 1  # one whole writer's file
    # No temporaries left behind: every writer renamed its own.
    assert {p.name for p in store.path("translations/x").iterdir()} == {"video.mp4", "report.json"}


@pytest.fixture
def slow_file_server(tmp_path):
    """Serves one 1 MiB file slowly, counting the requests it gets."""
    body = bytes(range(256)) * (SIZE // 256)
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for start in range(0, len(body), 1 << 16):
                self.wfile.write(body[start : start + (1 << 16)])
                time.sleep(0.01)  # slow enough for the downloads to overlap

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/clip.mp4", body, requests
    server.shutdown()
    server.server_close()


def test_identical_concurrent_downloads_fetch_once_and_all_see_the_whole_file(
    tmp_path, slow_file_server
):
    url, body, requests = slow_file_server
    downloads = tmp_path / "inputs"

    def fetch(_: int):
        return download(url, downloads, max_bytes=10 * SIZE, allow_private=True)

    with ThreadPoolExecutor(6) as pool:
        paths = list(pool.map(fetch, range(6)))
    assert len(set(paths)) == 1
    assert paths[0].read_bytes() == body
    assert len(requests) == 1  # the others waited for the first and reused its file
    assert [p.name for p in downloads.iterdir() if p.suffix == ".part"] == []
