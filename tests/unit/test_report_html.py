"""The report page: every chart draws from the report's own figures, in valid XML, with no
script and nothing fetched from outside; a report with nothing measured still renders."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from polydub.pipeline.report_html import SPEAKER_COLOURS, render_report_html

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
    "lipsync": {"sync": {"ceiling": {"correlation": 0.7}, "lip_synced": {"correlation": 0.55}}},
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
    timeline, rates, similarity, loudness, lipsync = svgs(page)
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
    # Text from the report is escaped, and the summary says what was reused.
    assert "slow-down &lt;b&gt;" in page and "reused: transcribe" in page


def test_an_empty_report_still_renders():
    page = render_report_html({})
    assert svgs(page) == []
    assert "No warnings." in page and "No timing plan." in page
    assert "No lip-sync agreement measured" in page
