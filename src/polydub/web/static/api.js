// The v3 API as the studio uses it: the key from sessionStorage on every request, the
// {"data": ...} envelope unwrapped, HeyGen's error envelope turned into an Error with its message.

const KEY_ITEM = "polydub.apiKey";
const PROOFREADS = "/v3/video-translations/proofreads";

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.param = error?.param;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY_ITEM); },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_ITEM, value);
    else sessionStorage.removeItem(KEY_ITEM);
  },
};

export async function call(method, path, body) {
  const headers = { "x-api-key": session.key || "" };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the status */ }
  if (!response.ok) throw new ApiError(response.status, json?.error || { message: text.slice(0, 200) });
  return json;
}

const data = async (...args) => (await call(...args))?.data;

// Signed URLs may name the server's public base URL; the page fetches them from its own origin.
export function sameOrigin(url) {
  if (!url) return url;
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

export const api = {
  checkKey: () => call("GET", "/v3/video-translations?limit=1"),
  languages: () => data("GET", "/v3/video-translations/languages"),
  uploadAsset: (file) => {
    const form = new FormData();
    form.append("file", file, file.name);
    return data("POST", "/v3/assets", form);
  },
  listTranslations: (limit = 50) => call("GET", `/v3/video-translations?limit=${limit}`),
  translation: (id) => data("GET", `/v3/video-translations/${id}`),
  createTranslation: (body) => data("POST", "/v3/video-translations", body),
  createProofread: (body) => data("POST", PROOFREADS, body),
  proofread: (id) => data("GET", `${PROOFREADS}/${id}`),
  proofreadSrt: (id) => data("GET", `${PROOFREADS}/${id}/srt`),
  putProofreadSrt: (id, assetId) =>
    data("PUT", `${PROOFREADS}/${id}/srt`, { srt: { type: "asset_id", asset_id: assetId } }),
  generate: (id, body) => data("POST", `${PROOFREADS}/${id}/generate`, body),
  segments: (id) => data("GET", `${PROOFREADS}/${id}/segments`),
  patchSegments: (id, segments) => data("PATCH", `${PROOFREADS}/${id}/segments`, { segments }),
  audition: (id, body) => data("POST", `${PROOFREADS}/${id}/audition`, body),
  // The report charts: the server's renderer (the CLI's), given the report the API returned.
  reportHtml: async (report, title) => {
    const query = title ? `?title=${encodeURIComponent(title)}` : "";
    const response = await fetch(`/web/report.html${query}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(report),
    });
    if (!response.ok) throw new ApiError(response.status, { message: "report could not be drawn" });
    return response.text();
  },
};

// Proofreads have no list endpoint in the v3 API: the page remembers the ids it created or
// opened (ids only, never the key) in this browser's localStorage.
const KNOWN = "polydub.proofreadIds";
export const knownProofreads = {
  all: () => JSON.parse(localStorage.getItem(KNOWN) || "[]"),
  add(ids) {
    const merged = [...new Set([...ids, ...this.all()])];
    localStorage.setItem(KNOWN, JSON.stringify(merged.slice(0, 200)));
  },
  remove(id) { localStorage.setItem(KNOWN, JSON.stringify(this.all().filter((x) => x !== id))); },
};
