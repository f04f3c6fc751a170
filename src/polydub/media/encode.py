"""Choose encoders: h264/AAC in MP4 by default, or the source's own format when asked."""

from __future__ import annotations

from polydub.domain.media import MediaInfo

# Codecs MP4 carries that players handle; anything else is re-encoded to H.264.
MP4_VIDEO_COPYABLE = {"h264", "hevc", "mpeg4", "av1"}

VIDEO_ENCODERS = {
    "h264": "libx264",
    "hevc": "libx265",
    "mpeg4": "mpeg4",
    "vp8": "libvpx",
    "vp9": "libvpx-vp9",
    "av1": "libaom-av1",
    "mjpeg": "mjpeg",
    "prores": "prores_ks",
}
AUDIO_ENCODERS = {
    "aac": "aac",
    "mp3": "libmp3lame",
    "opus": "libopus",
    "vorbis": "libvorbis",
    "flac": "flac",
    "ac3": "ac3",
    "pcm_s16le": "pcm_s16le",
}


def video_args(info: MediaInfo, *, keep_format: bool, reencode: bool) -> list[str]:
    """ffmpeg output arguments for the video stream."""
    video = info.video
    assert video is not None
    if not reencode and (keep_format or video.codec in MP4_VIDEO_COPYABLE):
        return ["-c:v", "copy"]
    if keep_format:
        encoder = VIDEO_ENCODERS.get(video.codec, "libx264")
        args = ["-c:v", encoder, "-r", f"{video.fps:.6f}"]
        if video.bit_rate:
            args += [
                "-b:v",
                str(video.bit_rate),
                "-maxrate",
                str(int(video.bit_rate * 1.5)),
                "-bufsize",
                str(video.bit_rate * 2),
            ]
        if video.pix_fmt:
            args += ["-pix_fmt", video.pix_fmt]
        return args
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]


# The dubbed audio of an MP4 output that does not keep the source's format.
DEFAULT_AUDIO_ARGS = ["-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2"]
# Containers DEFAULT_AUDIO_ARGS' AAC is stream-copied into (priming and all: lag 0).
AAC_CONTAINERS = (".mp4", ".mov", ".m4v")


def audio_args(info: MediaInfo, *, keep_format: bool) -> list[str]:
    """ffmpeg output arguments for the dubbed audio stream."""
    audio = info.audio
    if keep_format and audio is not None:
        args = [
            "-c:a",
            AUDIO_ENCODERS.get(audio.codec, "aac"),
            "-ar",
            str(audio.sample_rate),
            "-ac",
            str(audio.channels),
        ]
        if audio.bit_rate and audio.codec not in ("flac", "pcm_s16le"):
            args += ["-b:a", str(audio.bit_rate)]
        return args
    return list(DEFAULT_AUDIO_ARGS)
