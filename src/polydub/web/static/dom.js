// Small DOM helpers: no framework, so the page needs no build step and no vendored library.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "style" && typeof value === "object") Object.assign(node.style, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...[].concat(children).filter((c) => c !== null && c !== undefined));
  return node;
}

export function flash(message, error = false) {
  const box = $("flash");
  box.textContent = message;
  box.className = error ? "error" : "ok";
}

export const statusBadge = (status) => el("span", { class: `status ${status}` }, status);

// Same colours as the report charts (src/polydub/pipeline/report_html.py, SPEAKER_COLOURS).
export const SPEAKER_COLOURS = ["#2f6fde", "#d9622b", "#2a9d5c", "#9b4dca", "#c23b6b", "#8a7a12", "#138a8a"];

// Text with the glossary's terms marked (case-insensitive, whole text nodes, never innerHTML).
export function withTerms(text, terms) {
  const usable = terms.filter((t) => t && t.trim());
  if (!usable.length || !text) return [text || ""];
  const escaped = usable.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(${escaped.join("|")})`, "gi");
  return text.split(pattern).map((part, k) => (k % 2 ? el("mark", { class: "term" }, part) : part));
}
