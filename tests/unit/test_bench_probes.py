"""The pieces `polydub bench` measures with: per-stage wall/CPU, the process tree's memory,
the load warning and the floor's encoder settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from polydub.bench import encode_floor
from polydub.bench_probes import (
    StageClock,
    TreeSampler,
    busy_processes,
    drift_warning,
    load_warning,
    process_tree,
    rss_kb,
)
from polydub.media.encode import audio_args, video_args
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.probe import probe
from polydub.pipeline.runner import StageEvent


def _event(stage: str, status: str, target: str | None = "es") -> StageEvent:
    return StageEvent(stage=stage, target=target, status=status)


def test_every_reported_stage_gets_wall_and_cpu_seconds_in_order():
    clock = StageClock()
    for stage in ("ingest", "voice-matching", "synthesize"):  # any name, new ones included
        clock(_event(stage, "start"))
        clock(_event(stage, "progress"))
        deadline = time.process_time() + 0.02
        while time.process_time() < deadline:  # burn a little CPU inside the stage
            pass
        clock(_event(stage, "done"))
    clock(_event("render", "done"))  # a done without a start is not a stage run
    assert list(clock.stages) == ["ingest", "voice-matching", "synthesize"]
    for t in clock.stages.values():
        assert t.cpu > 0 and t.wall > 0
    total = clock.total()
    assert total.cpu == sum(t.cpu for t in clock.stages.values())


def _burn(seconds: float = 0.02) -> None:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


def test_stages_that_overlap_each_get_their_wall_and_share_their_common_cpu():
    clock = StageClock()
    clock(_event("mix", "start"))  # mix runs beside lipsync (pipeline/stage_beside.py)
    clock(_event("lipsync", "start"))
    _burn()
    clock(_event("mix", "done"))
    _burn()
    clock(_event("lipsync", "done"))
    mix, lipsync = clock.stages["mix"], clock.stages["lipsync"]
    assert list(clock.stages) == ["mix", "lipsync"]
    assert lipsync.wall > mix.wall > 0 and lipsync.cpu > mix.cpu > 0
    total = clock.total()
    # The common time counts once, and its CPU is not counted twice.
    assert total.wall < mix.wall + lipsync.wall
    assert abs(total.cpu - (mix.cpu + lipsync.cpu)) < 1e-9


def test_peak_memory_counts_child_processes():
    hold = "import time; x = bytearray(60_000_000); x[::4096] = b'1' * len(x[::4096]); "
    child = subprocess.Popen([sys.executable, "-c", hold + "time.sleep(30)"])
    try:
        assert child.pid in process_tree(os.getpid())
        # Wait until the child has touched its 60 MB (it must start first).
        for _ in range(200):
            if rss_kb(child.pid) > 55_000:
                break
            time.sleep(0.05)
        sampler = TreeSampler()
        sampler.sample()
        assert sampler.peak_rss_kb >= rss_kb(os.getpid()) + 55_000
    finally:
        child.kill()
        child.wait()


def test_the_load_warning_names_a_busy_machine_only():
    assert load_warning(0.4, 0.2) is None
    assert "not comparable" in load_warning(0.4, 2.1)
    assert "not comparable" in load_warning(3.0, 0.0)
    # The bench's own busy processes are expected load; more than that is not.
    assert load_warning(1.2, 2.1, busy=1) is None
    assert "not comparable" in load_warning(1.2, 3.1, busy=1)


def _cpu_of(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_drift_warning_names_a_machine_that_changed_speed_during_the_run():
    assert drift_warning(9.0, 9.5) is None  # within a tenth
    assert drift_warning(9.5, 9.0) is None
    assert "drifted" in drift_warning(8.0, 9.2)  # slower after the run
    assert "drifted" in drift_warning(12.1, 7.5)  # faster after it (seen in one session)
    assert "12.10 s" in drift_warning(12.1, 7.5)


def test_busy_processes_spin_outside_the_tree_and_end_with_the_block():
    with busy_processes(2) as pids:
        assert len(pids) == 2
        tree = process_tree(os.getpid())
        assert not set(pids) & set(tree)  # not ours: other load, not the bench's CPU
        first = [_cpu_of(p) for p in pids]
        time.sleep(0.5)
        assert all(_cpu_of(p) > f for p, f in zip(pids, first, strict=True))  # spinning
    for _ in range(100):  # killed (the kernel reaps them once init has waited)
        if not any(os.path.exists(f"/proc/{p}") and _state(p) != "Z" for p in pids):
            break
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{p}") and _state(p) != "Z" for p in pids)


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_the_floor_encodes_as_the_render_stage_does(tmp_path):
    clip = tmp_path / "clip.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-f", "lavfi",
         "-i", "sine=duration=1", "-c:v", "libx264", "-c:a", "aac", "-shortest", str(clip)]
    )  # fmt: skip
    floor = encode_floor(clip, tmp_path / "floor.mp4")
    info = probe(clip)
    settings = " ".join(
        video_args(info, keep_format=False, reencode=True) + audio_args(info, keep_format=False)
    )
    assert settings in floor.command and "-preset veryfast" in floor.command
    assert probe(tmp_path / "floor.mp4").video is not None
    assert floor.wall > 0 and floor.cpu > 0  # ffmpeg's CPU is counted (a waited child)
