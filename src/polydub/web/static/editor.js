// The editor of one proofread: source and dub side by side in sync, the segments on a
// timeline and in a list, a form to edit one segment, audition, SRT down and up, generate.

import { api, sameOrigin } from "./api.js";
import { $, el, flash, SPEAKER_COLOURS, statusBadge, withTerms } from "./dom.js";

const POLL_MS = 2000;
const DRIFT_S = 0.25; // the dub follows the source when they drift further apart than this
const FAST_RATE = 1.1; // speech-rate mark from here up
const LOW_QUALITY = 0.5; // translation-quality signal below this is flagged

const state = { id: null, data: null, selected: 0, translation: null, timer: null, generation: 0 };

export function closeEditor() {
  clearTimeout(state.timer);
  state.id = null;
  for (const id of ["source-video", "dub-video"]) $(id).pause();
}

export async function openEditor(id) {
  state.id = id;
  state.generation += 1;
  state.data = null;
  $("segment-list").replaceChildren();
  $("timeline").replaceChildren();
  $("report-box").hidden = true;
  await loadProofread(id, state.generation);
}

const current = (generation) => generation === state.generation && state.id !== null;

async function loadProofread(id, generation) {
  let proofread;
  try { proofread = await api.proofread(id); } catch (error) { flash(error.message, true); return; }
  if (!current(generation)) return;
  $("editor-title").textContent = `${proofread.title || id} → ${proofread.output_language}`;
  $("editor-status").replaceChildren(statusBadge(proofread.status));
  setEditable(proofread.status === "completed");
  if (proofread.status === "processing") {
    flash("The proofread is still being prepared; the editor opens when it is ready.");
    state.timer = setTimeout(() => loadProofread(id, generation), POLL_MS);
    return;
  }
  if (proofread.status === "failed") { flash(proofread.failure_message || "The proofread failed.", true); return; }
  await loadSegments(generation);
}

function setEditable(editable) {
  for (const id of ["generate", "srt-download", "save-segment", "audition", "seg-translation"]) $(id).disabled = !editable;
}

async function loadSegments(generation, keepSelection = false) {
  let data;
  try { data = await api.segments(state.id); } catch (error) { flash(error.message, true); return; }
  if (!current(generation)) return;
  state.data = data;
  if (!keepSelection) state.selected = data.segments[0]?.index ?? 0;
  const source = $("source-video");
  if (data.source_video_url && source.getAttribute("src") !== sameOrigin(data.source_video_url)) {
    source.src = sameOrigin(data.source_video_url);
    source.muted = true; // the dub is what a reviewer listens to; both would talk at once
  }
  $("glossary").replaceChildren(
    data.glossary_terms.length ? `Glossary: ${data.glossary_terms.join(", ")}` : "No glossary terms",
  );
  fillChoices();
  drawTimeline();
  drawList();
  selectSegment(state.selected, false);
  if (data.video_translation_id) await followTranslation(data.video_translation_id, generation);
  else $("dub-state").textContent = "(not generated yet: edit, then Generate dub)";
}

function fillChoices() {
  const { speakers, voices } = state.data;
  $("seg-speaker").replaceChildren(...speakers.map((s) => el("option", { value: s.speaker }, s.speaker)));
  $("seg-voice").replaceChildren(
    el("option", { value: "" }, "(the speaker's voice)"),
    ...voices.map((v) => el("option", { value: v.voice_id }, v.name || v.voice_id)),
  );
}

const speakerNames = () => state.data.speakers.map((s) => s.speaker);
const colourOf = (speaker) => {
  const k = speakerNames().indexOf(speaker);
  return SPEAKER_COLOURS[(k < 0 ? speakerNames().length : k) % SPEAKER_COLOURS.length];
};
const duration = () => Math.max(
  $("source-video").duration || 0, ...state.data.segments.map((s) => s.end), 0.1,
);
const segmentAt = (index) => state.data.segments.find((s) => s.index === index);

// ---- timeline and list ----------------------------------------------------------------------

function drawTimeline() {
  const lanes = speakerNames();
  const total = duration();
  const box = $("timeline");
  const lane = 28;
  box.style.height = `${lanes.length * lane + 8}px`;
  const pct = (t) => `calc(90px + (100% - 96px) * ${t / total})`;
  const nodes = lanes.map((name, k) => el("span", { class: "lane-name", style: { top: `${k * lane + 8}px` } }, name));
  for (const s of state.data.segments) {
    const row = Math.max(0, lanes.indexOf(s.speaker));
    const width = `calc((100% - 96px) * ${(s.end - s.start) / total})`;
    const marks = [];
    if ((s.rate ?? 1) > FAST_RATE) marks.push(el("span", { class: "mark fast", style: { left: 0, width: "50%" } }));
    if ((s.slowdown ?? 1) > 1.01) marks.push(el("span", { class: "mark slow", style: { right: 0, width: "50%" } }));
    nodes.push(el("div", {
      class: `seg${s.edited ? " edited" : ""}`,
      "data-index": s.index,
      title: `#${s.index} ${s.start.toFixed(2)}–${s.end.toFixed(2)} s · ${s.speaker}: ${s.translation}`,
      style: { left: pct(s.start), width, top: `${row * lane + 4}px`, background: colourOf(s.speaker) },
      onclick: () => selectSegment(s.index, true),
    }, [String(s.index), ...marks]));
  }
  nodes.push(el("div", { class: "playhead", id: "playhead", style: { left: pct(0) } }));
  box.replaceChildren(...nodes);
}

function signals(s) {
  const badges = [];
  if (s.quality !== null && s.quality !== undefined) {
    badges.push(el("span", { class: `badge${s.quality < LOW_QUALITY ? " low" : ""}`, title: "translation quality (0–1)" },
      `quality ${s.quality.toFixed(2)}`));
  }
  if (s.rate !== null && s.rate !== undefined) {
    badges.push(el("span", { class: `badge${s.rate > FAST_RATE ? " fast" : ""}`, title: "speech rate asked of the voice" },
      `rate ${s.rate.toFixed(2)}×`));
  }
  if ((s.slowdown ?? 1) > 1.01) {
    badges.push(el("span", { class: "badge slow", title: "the video slows here to fit the speech" },
      `slow-down ${s.slowdown.toFixed(2)}×`));
  }
  if (s.edited) badges.push(el("span", { class: "badge edited" }, "edited"));
  return badges;
}

function drawList() {
  const terms = state.data.glossary_terms;
  const items = state.data.segments.map((s) => el("li", {
    "data-index": s.index,
    tabindex: -1,
    style: { borderLeftColor: colourOf(s.speaker) },
    onclick: () => selectSegment(s.index, true),
    onkeydown: (event) => listKeys(event, s.index),
  }, [
    el("div", { class: "meta" }, [
      el("span", {}, `#${s.index}`), el("span", {}, `${s.start.toFixed(2)}–${s.end.toFixed(2)} s`),
      el("span", {}, s.speaker), ...signals(s),
    ]),
    el("div", { class: "tr" }, withTerms(s.translation, terms)),
    el("div", { class: "src" }, withTerms(s.source_text, terms)),
  ]));
  $("segment-list").replaceChildren(...items);
}

function listKeys(event, index) {
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    step(event.key === "ArrowDown" ? 1 : -1, true);
    event.preventDefault();
  } else if (event.key === "Enter") {
    selectSegment(index, true);
    $("seg-translation").focus();
    event.preventDefault();
  }
}

function selectSegment(index, seek) {
  const s = segmentAt(index);
  if (!s) return;
  state.selected = index;
  for (const node of document.querySelectorAll("#segment-list li, #timeline .seg")) {
    const on = Number(node.dataset.index) === index;
    node.classList.toggle("selected", on);
    if (node.tagName === "LI") node.tabIndex = on ? 0 : -1; // one tab stop: arrows move inside
  }
  document.querySelector(`#segment-list li[data-index="${index}"]`)?.scrollIntoView({ block: "nearest" });
  $("segment-heading").textContent = `Segment ${index}`;
  $("segment-source").replaceChildren(...withTerms(s.source_text, state.data.glossary_terms));
  $("seg-translation").value = s.translation;
  $("seg-speaker").value = s.speaker;
  $("seg-voice").value = s.voice_id || "";
  $("seg-start").value = s.start.toFixed(2);
  $("seg-end").value = s.end.toFixed(2);
  $("segment-signals").replaceChildren(...signals(s).flatMap((b) => [b, " "]));
  $("audition-audio").hidden = true;
  if (seek) seekTo(s.start);
}

function step(delta, focusList = false) {
  const list = state.data?.segments || [];
  const k = list.findIndex((s) => s.index === state.selected);
  const next = list[Math.min(list.length - 1, Math.max(0, k + delta))];
  if (!next) return;
  selectSegment(next.index, true);
  if (focusList) document.querySelector(`#segment-list li[data-index="${next.index}"]`)?.focus();
}

// ---- edits ----------------------------------------------------------------------------------

function formChanges() {
  const s = segmentAt(state.selected);
  const change = { index: s.index };
  const translation = $("seg-translation").value.trim();
  if (translation !== s.translation) change.translation = translation;
  if ($("seg-speaker").value && $("seg-speaker").value !== s.speaker) change.speaker = $("seg-speaker").value;
  if ($("seg-voice").value && $("seg-voice").value !== (s.voice_id || "")) change.voice_id = $("seg-voice").value;
  const start = Number($("seg-start").value);
  const end = Number($("seg-end").value);
  if (Math.abs(start - s.start) > 0.004) change.start = start;
  if (Math.abs(end - s.end) > 0.004) change.end = end;
  return change;
}

async function saveSegment(event) {
  event?.preventDefault();
  if (!state.data) return;
  const change = formChanges();
  if (Object.keys(change).length === 1) { flash("Nothing changed in this segment."); return; }
  $("save-segment").disabled = true;
  try {
    state.data = await api.patchSegments(state.id, [change]);
    drawTimeline();
    drawList();
    selectSegment(change.index, false);
    flash(`Segment ${change.index} saved.`);
  } catch (error) {
    flash(`Not saved: ${error.message}${error.param ? ` (${error.param})` : ""}`, true);
  } finally {
    $("save-segment").disabled = false;
  }
}

async function audition() {
  if (!state.data) return;
  const body = { index: state.selected, translation: $("seg-translation").value.trim() };
  if ($("seg-voice").value) body.voice_id = $("seg-voice").value;
  $("audition").disabled = true;
  flash(`Synthesising segment ${state.selected}…`);
  try {
    const result = await api.audition(state.id, body);
    const audio = $("audition-audio");
    audio.src = sameOrigin(result.audio_url);
    audio.hidden = false;
    audio.dataset.index = String(body.index);
    flash(`Audition of segment ${body.index}: ${result.duration.toFixed(2)} s with ${result.voice_id}.`);
    audio.play().catch(() => { /* autoplay refused: the controls are there */ });
  } catch (error) {
    flash(`Audition failed: ${error.message}`, true);
  } finally {
    $("audition").disabled = false;
  }
}

async function downloadSrt() {
  try {
    const { srt_url: url } = await api.proofreadSrt(state.id);
    const link = el("a", { href: sameOrigin(url), download: `${state.id}.srt` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) { flash(error.message, true); }
}

async function uploadSrt(event) {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const asset = await api.uploadAsset(file);
    const result = await api.putProofreadSrt(state.id, asset.id);
    flash(`SRT uploaded: ${result.edited_segments} segments changed.`);
    await loadSegments(state.generation, true);
  } catch (error) {
    flash(`SRT not accepted: ${error.message}`, true);
  } finally {
    event.target.value = "";
  }
}

async function generate() {
  $("generate").disabled = true;
  try {
    const made = await api.generate(state.id, {});
    flash("Generating the dub…");
    // When it is done, the segments are read again: rates and slow-downs of the new dub.
    await followTranslation(made.video_translation_id, state.generation, true);
  } catch (error) {
    flash(`Generate failed: ${error.message}`, true);
    $("generate").disabled = false;
  }
}

// ---- the dub: follow its job, then play it and draw its report --------------------------------

async function followTranslation(id, generation, refreshSegments = false) {
  clearTimeout(state.timer);
  let t;
  try { t = await api.translation(id); } catch (error) { flash(error.message, true); return; }
  if (!current(generation)) return;
  state.translation = t;
  const running = t.status === "pending" || t.status === "running";
  $("dub-state").textContent = running ? `${t.status} ${Math.round(t.progress * 100)} %` : t.status;
  $("dub-state").dataset.status = t.status;
  $("dub-state").dataset.translationId = t.id;
  $("generate").disabled = running;
  if (running) {
    state.timer = setTimeout(() => followTranslation(id, generation, refreshSegments), POLL_MS);
    return;
  }
  if (refreshSegments) {
    if (t.status === "completed") flash("The dub is ready.");
    await loadSegments(generation, true); // follows this translation again, without refreshing
    return;
  }
  if (t.status === "failed") { flash(`The dub failed: ${t.failure_message}`, true); return; }
  if (t.video_url) {
    const dub = $("dub-video");
    dub.src = sameOrigin(t.video_url);
    if (t.vtt_caption_url) {
      dub.replaceChildren(el("track", { kind: "captions", src: sameOrigin(t.vtt_caption_url), default: true, label: t.output_language }));
    }
    dub.currentTime = $("source-video").currentTime || 0;
  }
  if (t.report) {
    $("report-frame").srcdoc = await api.reportHtml(t.report, `${t.title || t.id} → ${t.output_language}`);
    $("report-box").hidden = false;
  }
}

// ---- playing in sync -------------------------------------------------------------------------

function seekTo(time) {
  for (const id of ["source-video", "dub-video"]) {
    const video = $(id);
    if (video.readyState > 0) video.currentTime = time;
  }
}

function togglePlay() {
  const source = $("source-video");
  const dub = $("dub-video");
  if (source.paused) {
    if (dub.readyState > 0) dub.currentTime = source.currentTime;
    source.play().catch(() => {});
    if (dub.readyState > 0) dub.play().catch(() => {});
  } else {
    source.pause();
    dub.pause();
  }
}

function onTick() {
  const source = $("source-video");
  const dub = $("dub-video");
  if (!source.paused && dub.readyState > 0 && !dub.paused
      && Math.abs(dub.currentTime - source.currentTime) > DRIFT_S) dub.currentTime = source.currentTime;
  $("clock").textContent = `${source.currentTime.toFixed(1)} s`;
  const head = $("playhead");
  if (head && state.data) head.style.left = `calc(90px + (100% - 96px) * ${source.currentTime / duration()})`;
  $("play").textContent = source.paused ? "▶ Play" : "❚❚ Pause";
}

export function editorKeys(event, typing) {
  const key = event.key.toLowerCase();
  if (event.ctrlKey && event.key === "Enter") { saveSegment(); event.preventDefault(); return; }
  if (typing && !event.altKey) return;
  if (event.ctrlKey || event.metaKey) return;
  const actions = { k: togglePlay, " ": togglePlay, n: () => step(1), p: () => step(-1), a: audition };
  if (key === " " && (event.target.tagName === "BUTTON" || event.altKey)) return; // Space presses buttons
  if (actions[key]) { actions[key](); event.preventDefault(); }
}

window.addEventListener("DOMContentLoaded", () => {
  $("segment-form").addEventListener("submit", saveSegment);
  $("audition").addEventListener("click", audition);
  $("srt-download").addEventListener("click", downloadSrt);
  $("srt-upload").addEventListener("change", uploadSrt);
  $("generate").addEventListener("click", generate);
  $("play").addEventListener("click", togglePlay);
  $("next-seg").addEventListener("click", () => step(1));
  $("prev-seg").addEventListener("click", () => step(-1));
  $("source-video").addEventListener("timeupdate", onTick);
  $("source-video").addEventListener("pause", () => { $("dub-video").pause(); onTick(); });
  $("source-video").addEventListener("loadedmetadata", () => state.data && drawTimeline());
});
