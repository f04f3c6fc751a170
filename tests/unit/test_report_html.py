"""The report page: every chart draws from the report's own figures, in valid XML, with no
script and nothing fetched from outside; a report with nothing measured still renders."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

from polydub.pipeline.report_html import SPEAKER_COLOURS, render_report_html
from polydub.pipeline.sync_score import agreement_over_time

SVG = "{http://www.w3.org/2000/svg}"

REPORT = {
    "warnings": ["timing: 1 lines needed more than the largest video slow-down <b>"],
    "source": {"file": "talk.mp4", "duration": 10.0, "speakers": ["SPEAKER_00", "SPEAKER_01"]},
    "target": "es",
    "mode": "speed",
    "speakers": [
        {"speaker": "SPEAKER_00", "voice": "clone:SPEAKER_00", "similarity": 0.81},
        {"speaker": "SPEAKER_01", "voice": "af_sky", "similarity": None},
    ],
    "loudness_lufs": -16.4,
    "lipsync": {
        "sync": {
            "ceiling": {"correlation": 0.7},
            "lip_synced": {
                "correlation": 0.55,
                "over_time": {
                    "window_s": 2.0,
                    "starts": [0.0, 2.0, 4.0, 6.0],
                    "correlation": [0.8, None, 0.4, 0.6],
                },
            },
        }
    },
    "partial_redub": {
        "previous_run": True,
        "segments_redone": [1],
        "segments_reused": [0],
        "lipsync_ranges": [[3.9, 9.2]],
        "stages": {"synthesize": 1.5},
    },
    "segments": [
        {"index": 0, "speaker": "SPEAKER_00", "start": 0.5, "end": 3.0, "translation": "Hola"},
        {"index": 1, "speaker": "SPEAKER_01", "start": 4.0, "end": 9.0, "translation": "Adiós"},
    ],
    "plan": {
        "max_rate": 1.3,
        "segments": [
            {"index": 0, "rate": 1.1, "tempo": 1.0},
            {"index": 1, "rate": 1.3, "tempo": 1.2},
        ],
        "stretches": [{"segment": 1, "factor": 1.25}],
    },
    "timing": {"source_duration": 10.0, "output_duration": 11.2},
    "stages": [{"stage": "transcribe", "cached": True}, {"stage": "synthesize", "cached": False}],
}


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg.*?</svg>", page, flags=re.S)]


def titles(svg: ET.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}title")]


def test_charts_show_the_reports_figures():
    page = render_report_html(REPORT)
    assert "<script" not in page and "http://" not in page.replace(SVG[1:-1], "")
    timeline, rates, similarity, loudness, lipsync, over_time = svgs(page)
    # Timeline: one bar per segment in its speaker's colour.
    bars = [r for r in timeline.iter(f"{SVG}rect")]
    assert [b.get("fill") for b in bars] == list(SPEAKER_COLOURS[:2])
    # Rates: rate x tempo (1.56 is over the bound, drawn red), and the slow-down of line 1.
    assert "segment 1: speech rate 1.56×" in titles(rates)
    assert "segment 1: video slow-down 1.25×" in titles(rates)
    assert "segment 0: video slow-down 1.00×" in titles(rates)
    red = [r for r in rates.iter(f"{SVG}rect") if r.get("fill") == "#c0392b"]
    assert len(red) == 1
    assert "SPEAKER_00 (clone:SPEAKER_00): 0.81" in titles(similarity)
    assert "not measured" in ET.tostring(similarity, encoding="unicode")
    assert "integrated loudness -16.4 LUFS" in titles(loudness)
    assert titles(lipsync) == [
        "source mouth, source speech: 0.70",
        "redrawn mouth, dub speech: 0.55",
    ]
    # Over time: a point per measured window; the gap splits the line in two runs.
    points = [t for t in titles(over_time)]
    assert points == ["0.0–2.0 s: 0.80", "4.0–6.0 s: 0.40", "6.0–8.0 s: 0.60"]
    assert len(list(over_time.iter(f"{SVG}polyline"))) == 1  # the lone first point has none
    assert "Segments re-synthesised: 1; 1 reused" in page and "3.9–9.2 s" in page
    # Text from the report is escaped, and the summary says what was reused.
    assert "slow-down &lt;b&gt;" in page and "reused: transcribe" in page


def test_an_empty_report_still_renders():
    page = render_report_html({})
    assert svgs(page) == []
    assert "No warnings." in page and "No timing plan." in page
    assert "No lip-sync agreement measured" in page


def test_agreement_over_time_finds_where_the_mouth_stops_following():
    fps = 25.0
    rng = np.random.default_rng(0)
    envelope = np.abs(np.sin(np.arange(200) / 3.0)) + rng.normal(0, 0.05, 200)
    mouth = envelope.copy()
    mouth[100:150] = rng.normal(0, 1, 50)  # seconds 4-6: the mouth ignores the speech
    mouth[150:] = np.nan  # seconds 6-8: no edited face
    windows = agreement_over_time(mouth, envelope, fps, window_s=2.0)
    assert windows["starts"] == [0.0, 2.0, 4.0, 6.0]
    first, second, third, fourth = windows["correlation"]
    assert first > 0.95 and second > 0.95 and third < 0.6 and fourth is None
