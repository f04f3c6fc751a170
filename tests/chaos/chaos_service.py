"""A `polydub serve` process for chaos tests: started, killed and restarted on one data dir;
its job process found and killed; a translation polled across it all."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from polydub_server import Service

JOB_TIMEOUT_S = 900


class Server(Service):
    """`polydub serve` for chaos tests: also finds its job process to kill it."""

    def job_process(self) -> int | None:
        """The pid of the server's job process (the spawned multiprocessing child)."""
        if self.process is None:
            return None
        for pid in children(self.process.pid):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        return None


def children(pid: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return pids


def create(client: httpx.Client, clip_url: str, **fields) -> str:
    """POST one Spanish translation of `clip_url`; its id."""
    created = client.post(
        "/v3/video-translations",
        json={
            "video": {"type": "url", "url": clip_url},
            "output_languages": ["Spanish"],
            "mode": "speed",
            **fields,
        },
    )
    assert created.status_code == 200, created.text
    (translation_id,) = created.json()["data"]["video_translation_ids"]
    return translation_id


@dataclass
class ProgressWatch:
    """Polls one translation in a thread, through server restarts, recording what it saw."""

    base: str
    key: str
    translation_id: str
    seen: list[tuple[str, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        with httpx.Client(base_url=self.base, headers={"x-api-key": self.key}, timeout=10) as c:
            while not self._stop.is_set():
                try:
                    data = c.get(f"/v3/video-translations/{self.translation_id}").json()["data"]
                    self.seen.append((data["status"], data["progress"]))
                except (httpx.TransportError, KeyError, ValueError):
                    pass  # the server is down (being restarted): keep asking
                self._stop.wait(0.3)

    def progress(self) -> float:
        return self.seen[-1][1] if self.seen else 0.0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


def wait_for(condition, what: str, timeout: float = JOB_TIMEOUT_S, server: Server | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n" + (server.tail() if server else ""))


def finished(client: httpx.Client, translation_id: str, server: Server | None = None) -> dict:
    """Poll until the translation completes (a failure fails the test with its message)."""

    def done():
        data = client.get(f"/v3/video-translations/{translation_id}").json()["data"]
        assert data["status"] != "failed", f"{translation_id} failed: {data['failure_message']}"
        return data if data["status"] == "completed" else None

    return wait_for(done, f"{translation_id} to complete", server=server)


def output_digests(client: httpx.Client, data: dict) -> dict[str, str]:
    """sha256 of a completed translation's video and SRT captions, downloaded over HTTP."""
    caption = client.get(
        f"/v3/video-translations/{data['id']}/caption", params={"format": "srt"}
    ).json()["data"]
    digests = {}
    for name, url in (("video", data["video_url"]), ("srt", caption["caption_url"])):
        response = httpx.get(url, timeout=60)
        assert response.status_code == 200, (name, response.status_code)
        digests[name] = hashlib.sha256(response.content).hexdigest()
    return digests


def check_video(client: httpx.Client, data: dict, folder: Path) -> dict:
    """Download the translation's video and captions; a decodable video with sound and
    non-empty captions, or the test fails. Returns ffprobe's format record."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{data['id']}.mp4"
    video.write_bytes(httpx.get(data["video_url"], timeout=60).content)
    probe = json.loads(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_streams",
                "-show_format",
                str(video),
            ],
            capture_output=True,
            check=True,
        ).stdout
    )
    assert {s["codec_type"] for s in probe["streams"]} >= {"video", "audio"}
    assert float(probe["format"]["duration"]) > 1.0
    # Every frame decodes: a torn file fails here.
    subprocess.run(
        ["ffmpeg", "-v", "error", "-xerror", "-i", str(video), "-f", "null", "-"],
        check=True,
        capture_output=True,
    )
    caption = client.get(
        f"/v3/video-translations/{data['id']}/caption", params={"format": "srt"}
    ).json()["data"]
    assert "-->" in httpx.get(caption["caption_url"], timeout=60).text
    return probe["format"]
