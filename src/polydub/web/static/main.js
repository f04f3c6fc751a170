// The studio's shell: sign in, the list of translations and proofreads (refreshed while jobs
// run), the create form, and hash routes (#/, #/proofread/ID, #/translation/ID).

import { api, knownProofreads, sameOrigin, session } from "./api.js";
import { openEditor, closeEditor, editorKeys } from "./editor.js";
import { $, el, flash, statusBadge } from "./dom.js";

const VIEWS = ["signin-view", "list-view", "editor-view", "translation-view"];
const REFRESH_MS = 2000;
let refreshTimer = null;

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
}

async function route() {
  clearTimeout(refreshTimer);
  closeEditor();
  flash(""); // a message belongs to the view it was said in
  if (!session.key) {
    show("signin-view");
    $("sign-out").hidden = true;
    $("api-key").focus();
    return;
  }
  $("sign-out").hidden = false;
  const [, kind, id] = location.hash.split("/");
  if (kind === "proofread" && id) {
    show("editor-view");
    knownProofreads.add([id]);
    await openEditor(id);
  } else if (kind === "translation" && id) {
    show("translation-view");
    await showTranslation(id);
  } else {
    show("list-view");
    await refreshLists();
  }
}

async function signIn(event) {
  event.preventDefault();
  session.key = $("api-key").value.trim();
  try {
    await api.checkKey();
  } catch (error) {
    session.key = null;
    flash(`Sign-in failed: ${error.message}`, true);
    return;
  }
  $("api-key").value = "";
  loadLanguages();
  await route();
  flash("Signed in.");
}

async function loadLanguages() {
  try {
    const { languages } = await api.languages();
    $("language-names").replaceChildren(...languages.map((name) => el("option", { value: name })));
  } catch { /* the field still takes free text */ }
}

// ---- the lists ----------------------------------------------------------------------------

let listShown = false;

async function refreshLists() {
  const running = (await Promise.all([refreshTranslations(), refreshProofreads()])).some(Boolean);
  if (!listShown) { // the form stays open for a first visit, folded once there is work to see
    listShown = true;
    $("create-box").open = $("proofread-empty").hidden === false && $("translation-empty").hidden === false;
  }
  if (location.hash.split("/")[1] || $("list-view").hidden) return;
  // Poll while anything runs; a quiet page asks rarely (other clients may start jobs too).
  refreshTimer = setTimeout(refreshLists, running ? REFRESH_MS : REFRESH_MS * 5);
}

async function refreshTranslations() {
  let page;
  try { page = await api.listTranslations(); } catch (error) { flash(error.message, true); return false; }
  const rows = page.data.map((t) => el("tr", { "data-id": t.id }, [
    el("td", {}, [el("a", { href: `#/translation/${t.id}` }, t.title || t.id)]),
    el("td", {}, `${t.input_language || "?"} → ${t.output_language}`),
    el("td", {}, [statusBadge(t.status), t.failure_message ? el("div", { class: "warn" }, t.failure_message) : ""]),
    el("td", {}, [el("progress", { max: 1, value: t.progress ?? 0, "aria-label": "progress" }),
      ` ${Math.round((t.progress ?? 0) * 100)} %`]),
    el("td", { class: "warn" }, (t.report?.warnings || []).join(" · ")),
    el("td", {}, t.video_url ? el("a", { href: sameOrigin(t.video_url), download: "" }, "video") : ""),
  ]));
  $("translation-table").tBodies[0].replaceChildren(...rows);
  $("translation-empty").hidden = rows.length > 0;
  return page.data.some((t) => t.status === "pending" || t.status === "running");
}

async function refreshProofreads() {
  const found = await Promise.all(knownProofreads.all().map(async (id) => {
    try { return await api.proofread(id); } catch (error) {
      if (error.status === 404) knownProofreads.remove(id); // another key's, or deleted
      return null;
    }
  }));
  const proofreads = found.filter(Boolean);
  const rows = proofreads.map((p) => el("tr", { "data-id": p.id }, [
    el("td", {}, [el("a", { href: `#/proofread/${p.id}` }, p.title || p.id)]),
    el("td", {}, `${p.input_language || "?"} → ${p.output_language}`),
    el("td", {}, [statusBadge(p.status), p.failure_message ? el("div", { class: "warn" }, p.failure_message) : ""]),
    el("td", {}, p.submitted_for_review ? "yes" : "no"),
    el("td", {}, p.status === "completed" ? el("a", { href: `#/proofread/${p.id}` }, "Open editor") : ""),
  ]));
  $("proofread-table").tBodies[0].replaceChildren(...rows);
  $("proofread-empty").hidden = rows.length > 0;
  return proofreads.some((p) => p.status === "processing");
}

// ---- create -------------------------------------------------------------------------------

async function create(event) {
  event.preventDefault();
  const form = event.target;
  const f = new FormData(form);
  const file = $("create-file").files[0];
  const url = f.get("url").trim();
  if (!file && !url) { flash("Choose a video file or give its URL.", true); return; }
  $("create-submit").disabled = true;
  $("upload-progress").hidden = false;
  try {
    let video = { type: "url", url };
    if (file) {
      flash(`Uploading ${file.name}…`);
      video = { type: "asset_id", asset_id: (await api.uploadAsset(file)).id };
    }
    const common = {
      video,
      title: f.get("title").trim(),
      output_languages: f.get("languages").split(",").map((s) => s.trim()).filter(Boolean),
      mode: f.get("mode"),
      disable_music_track: f.has("disable_music_track"),
      enable_speech_enhancement: f.has("enable_speech_enhancement"),
    };
    if (f.get("speaker_num")) common.speaker_num = Number(f.get("speaker_num"));
    const srt = $("create-srt").files[0];
    if (srt) common.srt = { type: "asset_id", asset_id: (await api.uploadAsset(srt)).id };
    if (f.get("brand_glossary_id").trim()) common.brand_glossary_id = f.get("brand_glossary_id").trim();
    if (f.get("kind") === "proofread") {
      const made = await api.createProofread({ ...common, enable_video_stretching: f.has("dynamic_duration") });
      knownProofreads.add(made.proofread_ids);
      flash(`Proofread started (${made.proofread_ids.length}).`);
    } else {
      const made = await api.createTranslation({
        ...common,
        enable_dynamic_duration: f.has("dynamic_duration"),
        enable_caption: f.has("enable_caption"),
        translate_audio_only: f.has("translate_audio_only"),
      });
      flash(`Translation started (${made.video_translation_ids.length}).`);
    }
    form.reset();
    clearTimeout(refreshTimer);
    await refreshLists();
  } catch (error) {
    flash(`Could not create: ${error.message}${error.param ? ` (${error.param})` : ""}`, true);
  } finally {
    $("create-submit").disabled = false;
    $("upload-progress").hidden = true;
  }
}

// ---- one translation: its video and its report charts ----------------------------------------

async function showTranslation(id) {
  let t;
  try { t = await api.translation(id); } catch (error) { flash(error.message, true); return; }
  $("translation-title").textContent = t.title || t.id;
  $("translation-meta").textContent =
    `${t.input_language || "?"} → ${t.output_language} · ${t.status} · ${Math.round(t.progress * 100)} %`;
  $("translation-video").src = t.video_url ? sameOrigin(t.video_url) : "";
  $("translation-report").srcdoc = t.report ? await api.reportHtml(t.report, `${t.title || t.id} → ${t.output_language}`) : "<p>No report yet.</p>";
  if (t.status === "pending" || t.status === "running") {
    refreshTimer = setTimeout(() => location.hash.endsWith(id) && showTranslation(id), REFRESH_MS);
  }
}

// ---- keyboard -------------------------------------------------------------------------------

function keys(event) {
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
  if (event.key === "?" && !typing) { $("help").showModal(); event.preventDefault(); return; }
  if (!$("editor-view").hidden) editorKeys(event, typing);
}

window.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", signIn);
  $("create-form").addEventListener("submit", create);
  $("sign-out").addEventListener("click", () => { session.key = null; location.hash = "#/"; route(); });
  $("help-button").addEventListener("click", () => $("help").showModal());
  document.addEventListener("keydown", keys);
  window.addEventListener("hashchange", route);
  if (session.key) loadLanguages();
  route();
});
