"""Stage 10, render: mux the dubbed soundtrack with the video; write captions from the timing."""

from __future__ import annotations

from pathlib import Path

from polydub.media.encode import AAC_CONTAINERS, MP4_VIDEO_COPYABLE, audio_args, video_args
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.timewarp import video_warp_filter
from polydub.media.watermark import watermark_filter
from polydub.pipeline.artifacts import (
    FitArtifact,
    IngestArtifact,
    MixArtifact,
    RenderArtifact,
    TranslationArtifact,
)
from polydub.subtitles.captions import Cue, split_into_cues, write_srt, write_vtt


def caption_cues(translated: TranslationArtifact, fitted: FitArtifact) -> list[Cue]:
    """Cues of the translated speech, timed to where the dub actually sounds."""
    text = {s.index: s.translation for s in translated.segments}
    cues: list[Cue] = []
    for timing in sorted(fitted.plan.segments, key=lambda t: t.output_start):
        cues += split_into_cues(text[timing.index], timing.output_start, timing.output_end)
    return cues


# Soft subtitle codecs by container: MP4/MOV carry only mov_text.
SUBTITLE_CODECS = {".mp4": "mov_text", ".mov": "mov_text", ".m4v": "mov_text", ".mkv": "srt"}
SUBTITLE_CODECS |= {".webm": "webvtt"}
FPS_MODES = ("vfr", "cfr", "passthrough")


def render(
    ingested: IngestArtifact,
    translated: TranslationArtifact,
    fitted: FitArtifact,
    mixed: MixArtifact,
    out_dir: Path,
    *,
    keep_format: bool,
    extension: str = ".mp4",
    watermark: bool = False,
    embed_captions: bool = False,
    fps_mode: str | None = None,
    picture: Path | None = None,
    picture_warped: bool = False,
    cues: list[Cue] | None = None,
) -> RenderArtifact:
    """Mux the mix with the (possibly slowed) video and write the captions.

    Args:
        watermark: draw a visible mark in a corner (the video is re-encoded).
        embed_captions: also carry the captions as a soft subtitle track (mov_text in MP4).
        fps_mode: "cfr" re-encodes at the source's constant frame rate; "vfr" and
            "passthrough" keep or drop frame timestamps as ffmpeg's -fps_mode does.
        picture: the video to use instead of the source's (the lip-synced frames).
        picture_warped: `picture` already plays the plan's slow-downs.
        cues: the captions, when not the translated script's (the user's own audio).
    """
    info = ingested.info
    video_out = out_dir / f"video{extension}"
    cues = caption_cues(translated, fitted) if cues is None else cues
    srt_path = write_srt(cues, out_dir / "captions.srt")
    vtt_path = write_vtt(cues, out_dir / "captions.vtt")
    stretches = [] if picture_warped else fitted.plan.stretches
    reencode = (
        bool(stretches)
        or watermark
        or fps_mode == "cfr"
        or (
            not keep_format
            and info.video is not None
            and info.video.codec not in MP4_VIDEO_COPYABLE
        )
        # The lip-synced picture is H.264: another kept format must be encoded again.
        or (picture is not None and keep_format and info.video.codec != "h264")
    )
    # The mix's own AAC is copied where this output would encode the same (mix.py).
    aac = mixed.mix_aac if not keep_format and extension in AAC_CONTAINERS else None
    args = ["-i", str(picture or ingested.source), "-i", str(aac or mixed.mix_wav)]
    subtitle_codec = SUBTITLE_CODECS.get(extension) if embed_captions and cues else None
    if subtitle_codec:
        args += ["-i", str(srt_path)]
    # Container metadata (title, dates) comes from the source, not the lip-synced picture.
    metadata_input = "0"
    if picture is not None:
        metadata_input = str(3 if subtitle_codec else 2)
        args += ["-i", str(ingested.source)]
    graph, label = "", "0:v"
    if stretches:
        graph, label = video_warp_filter(stretches, info.duration, info.video.fps), "vout"
    if watermark:
        graph, label = _chain(graph, label, watermark_filter(), "vwm")
    if reencode and not keep_format and _odd_size(info.video):
        graph, label = _chain(graph, label, EVEN_SIZE, "veven")
    args += ["-filter_complex", graph, "-map", f"[{label}]"] if graph else ["-map", "0:v:0"]
    args += ["-map", "1:a:0"]
    if subtitle_codec:
        args += ["-map", "2:s:0", "-c:s", subtitle_codec]
        args += ["-metadata:s:s:0", f"language={translated.target_language}"]
    args += video_args(info, keep_format=keep_format, reencode=reencode)
    if fps_mode in FPS_MODES:
        args += ["-fps_mode", fps_mode]
        if fps_mode == "cfr" and info.video is not None:
            args += ["-r", f"{info.video.fps:.6f}"]
    args += ["-c:a", "copy"] if aac else audio_args(info, keep_format=keep_format)
    args += ["-map_metadata", metadata_input]
    args += ["-metadata:s:a:0", f"language={translated.target_language}"]
    if extension in (".mp4", ".mov", ".m4v"):
        args += ["-movflags", "+faststart"]
    args += [str(video_out)]
    run_ffmpeg(args)
    return RenderArtifact(video=video_out, srt=srt_path, vtt=vtt_path, reencoded_video=reencode)


# H.264 in 4:2:0 needs even sizes: an odd one gets its last column or row repeated.
EVEN_SIZE = "pad=ceil(iw/2)*2:ceil(ih/2)*2,format=yuv420p"


def _chain(graph: str, label: str, step: str, out: str) -> tuple[str, str]:
    """`graph` with `step` applied to its output `label`, and the new output's label."""
    return (graph + ";" if graph else "") + f"[{label}]{step}[{out}]", out


def _odd_size(video) -> bool:
    return video is not None and bool(video.width % 2 or video.height % 2)
