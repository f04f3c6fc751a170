"""The dub report as a page a person would rather look at than read: charts of speech rate and
slow-down per segment, the segments over time, speaker similarity, loudness and lip-sync
agreement, and the warnings, as one self-contained HTML file with inline SVG (no scripts, no
external files, no plotting library). The CLI writes it next to the JSON report; the browser
studio shows the same HTML, so there is one implementation of the charts.
"""

from __future__ import annotations

from html import escape
from typing import Any

# Speakers keep the same colour in every chart (and in the studio's timeline: same list).
SPEAKER_COLOURS = ("#2f6fde", "#d9622b", "#2a9d5c", "#9b4dca", "#c23b6b", "#8a7a12", "#138a8a")
WIDTH, BAR_HEIGHT = 720, 180
RATE_AXIS_MAX = 2.0  # speech rates above this are clipped (marked with their value)
LOUDNESS_RANGE = (-40.0, 0.0)  # LUFS shown on the loudness scale
LOUDNESS_TARGET = -16.0  # the usual streaming target, for reference only


def render_report_html(report: dict[str, Any], title: str | None = None) -> str:
    """The whole page for one report dict (as build_report makes it, or the API returns it)."""
    source = report.get("source") or {}
    heading = title or f"{source.get('file') or 'Dub'} → {report.get('target') or '?'}"
    sections = [
        _warnings(report.get("warnings") or []),
        _redub_section(report.get("partial_redub")),
        _section("Segments over time", _timeline_svg(report)),
        _section("Speech rate and video slow-down per segment", _rate_svg(report)),
        _section("Speaker similarity (dub voice vs source speaker)", _similarity_svg(report)),
        _section("Loudness of the final mix", _loudness_svg(report.get("loudness_lufs"))),
        _section("Lip-sync agreement (mouth vs speech correlation)", _lipsync_svg(report)),
    ]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(heading)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(heading)}</h1>{_summary(report)}{''.join(sections)}</body></html>"
    )


_CSS = (
    "body{font:15px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:760px;color:#1b1b1b}"
    "h1{font-size:1.3em}h2{font-size:1.05em;margin:1.4em 0 .4em}"
    "svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif}"
    ".warn li{color:#8a3b00}.none{color:#666}.summary{color:#444}"
)


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>{body}</section>"


def _summary(report: dict[str, Any]) -> str:
    timing = report.get("timing") or {}
    parts = [
        f"{len(report.get('segments') or [])} segments",
        f"mode {report.get('mode', '?')}",
    ]
    if timing:
        parts.append(
            f"duration {timing.get('source_duration', 0):.1f}s → "
            f"{timing.get('output_duration', 0):.1f}s"
        )
    cached = [s["stage"] for s in report.get("stages") or [] if s.get("cached")]
    if cached:
        parts.append("reused: " + ", ".join(cached))
    return f"<p class='summary'>{escape(' · '.join(parts))}</p>"


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return _section("Warnings", "<p class='none'>No warnings.</p>")
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return _section(f"Warnings ({len(warnings)})", f"<ul class='warn'>{items}</ul>")


def speaker_colour(speakers: list[str], speaker: str) -> str:
    index = speakers.index(speaker) if speaker in speakers else len(speakers)
    return SPEAKER_COLOURS[index % len(SPEAKER_COLOURS)]


def _speakers(report: dict[str, Any]) -> list[str]:
    named = list((report.get("source") or {}).get("speakers") or [])
    for segment in report.get("segments") or []:
        if segment.get("speaker") not in named:
            named.append(segment.get("speaker"))
    return named


def _svg(height: int, body: str, label: str) -> str:
    return (
        f"<svg role='img' aria-label='{escape(label)}' viewBox='0 0 {WIDTH} {height}' "
        f"width='{WIDTH}' height='{height}' xmlns='http://www.w3.org/2000/svg'>{body}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = "#333") -> str:
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='{fill}'>{escape(text)}</text>"
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(w, 0.5):.1f}' height='{max(h, 0):.1f}' "
        f"fill='{fill}'>{title}</rect>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, dash: bool = False) -> str:
    extra = " stroke-dasharray='4 3'" if dash else ""
    return (
        f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{stroke}'{extra}/>"
    )


def _timeline_svg(report: dict[str, Any]) -> str:
    segments = report.get("segments") or []
    duration = max(
        [(report.get("source") or {}).get("duration") or 0.0]
        + [s.get("end", 0.0) for s in segments]
    )
    if not segments or duration <= 0:
        return "<p class='none'>No segments.</p>"
    speakers = _speakers(report)
    left, right, row = 70, WIDTH - 10, 22
    height = 30 + row * len(speakers)
    scale = (right - left) / duration
    body = [_text(left, 12, "0 s"), _text(right, 12, f"{duration:.1f} s", "end")]
    for lane, speaker in enumerate(speakers):
        y = 20 + lane * row
        body.append(_text(4, y + 14, str(speaker)))
        for s in (s for s in segments if s.get("speaker") == speaker):
            tip = f"#{s['index']} {s['start']:.2f}–{s['end']:.2f}s: {s.get('translation', '')}"
            x = left + s["start"] * scale
            body.append(
                _rect(
                    x,
                    y,
                    (s["end"] - s["start"]) * scale,
                    row - 6,
                    speaker_colour(speakers, speaker),
                    tip,
                )
            )
    return _svg(height, "".join(body), "segments on a timeline, one lane per speaker")


def _rate_svg(report: dict[str, Any]) -> str:
    plan = report.get("plan") or {}
    timings = plan.get("segments") or []
    if not timings:
        return "<p class='none'>No timing plan.</p>"
    slowdown = {st.get("segment"): st.get("factor", 1.0) for st in plan.get("stretches") or []}
    max_rate = plan.get("max_rate")
    left, top, bottom = 40, 10, BAR_HEIGHT - 24
    slot = (WIDTH - left - 10) / len(timings)
    y_of = lambda v: bottom - (min(v, RATE_AXIS_MAX) / RATE_AXIS_MAX) * (bottom - top)  # noqa: E731
    body = [_text(left - 4, y_of(v) + 4, f"{v:g}×", "end") for v in (0.0, 1.0, 2.0)]
    body.append(_line(left, y_of(1.0), WIDTH - 10, y_of(1.0), "#999", dash=True))
    if max_rate:
        body.append(_line(left, y_of(max_rate), WIDTH - 10, y_of(max_rate), "#c0392b", dash=True))
        body.append(
            _text(WIDTH - 12, y_of(max_rate) - 3, f"max rate {max_rate:g}×", "end", "#c0392b")
        )
    for k, t in enumerate(timings):
        x = left + k * slot
        rate = float(t.get("rate", 1.0)) * float(t.get("tempo", 1.0))
        colour = "#c0392b" if max_rate and rate > max_rate + 1e-6 else "#2f6fde"
        half = max(slot / 2 - 2, 1)
        body.append(
            _rect(
                x + 1,
                y_of(rate),
                half,
                bottom - y_of(rate),
                colour,
                f"segment {t['index']}: speech rate {rate:.2f}×",
            )
        )
        factor = float(slowdown.get(t["index"], 1.0))
        body.append(
            _rect(
                x + 1 + half,
                y_of(factor),
                half,
                bottom - y_of(factor),
                "#2a9d5c",
                f"segment {t['index']}: video slow-down {factor:.2f}×",
            )
        )
        if len(timings) <= 40:
            body.append(_text(x + slot / 2, bottom + 14, str(t["index"]), "middle"))
    legend = (
        "<p class='summary'><span style='color:#2f6fde'>■</span> speech rate as heard "
        "(the voice's rate × any time-stretch; red: above the bound) "
        "<span style='color:#2a9d5c'>■</span> video slow-down; "
        "1× dashed</p>"
    )
    return _svg(BAR_HEIGHT, "".join(body), "speech rate and slow-down per segment") + legend


def _hbars(rows: list[tuple[str, float | None, str]], lo: float, hi: float, label: str) -> str:
    """Horizontal bars, one per (label, value, colour), on a lo..hi scale."""
    left, right, row = 190, WIDTH - 60, 24
    body = []
    for k, (name, value, colour) in enumerate(rows):
        y = 6 + k * row
        body.append(_text(4, y + 13, name))
        if value is None:
            body.append(_text(left, y + 13, "not measured", fill="#777"))
            continue
        frac = (min(max(value, lo), hi) - lo) / (hi - lo)
        body.append(_rect(left, y, frac * (right - left), row - 8, colour, f"{name}: {value:.2f}"))
        body.append(_text(left + frac * (right - left) + 4, y + 13, f"{value:.2f}"))
    return _svg(12 + row * len(rows), "".join(body), label)


def _similarity_svg(report: dict[str, Any]) -> str:
    entries = report.get("speakers") or []
    if not entries:
        return "<p class='none'>No speaker similarity measured.</p>"
    speakers = _speakers(report)
    rows = []
    for e in entries:
        colour = speaker_colour(speakers, e.get("speaker"))
        rows.append((f"{e.get('speaker')} ({e.get('voice')})", e.get("similarity"), colour))
        if e.get("stock_similarity") is not None:
            rows.append((f"  stock {e.get('stock_voice')}", e["stock_similarity"], "#aaa"))
    return _hbars(rows, 0.0, 1.0, "speaker similarity per speaker")


def _loudness_svg(lufs: float | None) -> str:
    if lufs is None:
        return "<p class='none'>Loudness not measured.</p>"
    lo, hi = LOUDNESS_RANGE
    left, right = 40, WIDTH - 40
    x_of = lambda v: left + (min(max(v, lo), hi) - lo) / (hi - lo) * (right - left)  # noqa: E731
    body = [
        _rect(left, 14, right - left, 14, "#e8e8e8"),
        _rect(left, 14, x_of(lufs) - left, 14, "#2f6fde", f"integrated loudness {lufs:.1f} LUFS"),
        _line(x_of(LOUDNESS_TARGET), 8, x_of(LOUDNESS_TARGET), 34, "#c0392b", dash=True),
        _text(x_of(LOUDNESS_TARGET), 46, f"{LOUDNESS_TARGET:g} LUFS target", "middle", "#c0392b"),
        _text(left, 46, f"{lo:g}"),
        _text(right, 46, f"{hi:g} LUFS", "end"),
        _text(x_of(lufs), 10, f"{lufs:.1f} LUFS", "middle"),
    ]
    return _svg(52, "".join(body), f"integrated loudness {lufs:.1f} LUFS")


def _lipsync_svg(report: dict[str, Any]) -> str:
    sync = (report.get("lipsync") or {}).get("sync") or {}
    if not sync:
        return "<p class='none'>No lip-sync agreement measured (no face spoke, or audio only).</p>"
    names = (
        ("ceiling", "source mouth, source speech", "#999"),
        ("floor", "source mouth, dub speech", "#d9622b"),
        ("lip_synced", "redrawn mouth, dub speech", "#2a9d5c"),
    )
    rows = [
        (label, (sync.get(key) or {}).get("correlation"), colour)
        for key, label, colour in names
        if key in sync
    ]
    rows = [(n, None if v is None or v != v else v, c) for n, v, c in rows]  # nan: not measured
    bars = _hbars(rows, 0.0, 1.0, "lip-sync correlation: ceiling, floor, lip-synced")
    return bars + _agreement_over_time_svg(
        (sync.get("lip_synced") or {}).get("over_time") or {}, sync
    )


def _agreement_over_time_svg(windows: dict[str, Any], sync: dict[str, Any]) -> str:
    """The redrawn mouth's correlation with the dub, window by window, as a line of points
    (gaps where a window had no edited face), against the ceiling and floor."""
    starts, values = windows.get("starts") or [], windows.get("correlation") or []
    if not starts:
        return ""
    span = starts[-1] + float(windows.get("window_s", 2.0))
    left, right, top, bottom = 40, WIDTH - 10, 10, 150
    x_of = lambda t: left + t / span * (right - left)  # noqa: E731
    y_of = lambda v: bottom - (max(min(v, 1.0), -0.2) + 0.2) / 1.2 * (bottom - top)  # noqa: E731
    body = [_text(left - 4, y_of(v) + 4, f"{v:g}", "end") for v in (0.0, 0.5, 1.0)]
    body.append(_line(left, y_of(0.0), right, y_of(0.0), "#ccc"))
    body.append(_text(left + 4, top + 4, "redrawn mouth vs dub speech, per window", fill="#2a9d5c"))
    for key, colour in (("ceiling", "#999"), ("floor", "#d9622b")):
        level = (sync.get(key) or {}).get("correlation")
        if level is not None and level == level:
            body.append(_line(left, y_of(level), right, y_of(level), colour, dash=True))
            body.append(_text(right - 2, y_of(level) - 3, key, "end", colour))
    half = float(windows.get("window_s", 2.0)) / 2
    points = [
        (x_of(t + half), y_of(v if v is not None else 0.0), t, v)
        for t, v in zip(starts, values, strict=False)
    ]
    run: list[str] = []
    for x, y, t, v in points + [(0, 0, 0, None)]:  # a None closes the current run of points
        if v is None:
            if len(run) > 1:
                body.append(f"<polyline points='{' '.join(run)}' fill='none' stroke='#2a9d5c'/>")
            run = []
            continue
        run.append(f"{x:.1f},{y:.1f}")
        body.append(
            f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='#2a9d5c'>"
            f"<title>{t:.1f}–{t + 2 * half:.1f} s: {v:.2f}</title></circle>"
        )
    body.append(_text(left, bottom + 14, "0 s"))
    body.append(_text(right, bottom + 14, f"{span:.1f} s", "end"))
    return _svg(bottom + 20, "".join(body), "lip-sync correlation over time")


def _redub_section(record: dict[str, Any] | None) -> str:
    """What a partial re-dub redid and what it reused (pipeline/partial_redub.py)."""
    if not record or not record.get("previous_run"):
        return ""
    redone = ", ".join(map(str, record.get("segments_redone") or [])) or "none"
    reused = len(record.get("segments_reused") or [])
    lines = [f"Segments re-synthesised: {redone}; {reused} reused from the previous dub."]
    ranges = record.get("lipsync_ranges")
    if ranges is not None:
        spans = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in ranges) or "none"
        lines.append(f"Lip-sync redrawn over: {spans}; the other frames kept.")
    if record.get("stages"):
        ran = ", ".join(f"{k} {v:.1f} s" for k, v in record["stages"].items())
        lines.append(f"Stages that ran: {ran}.")
    return _section("Partial re-dub", "".join(f"<p>{escape(line)}</p>" for line in lines))
