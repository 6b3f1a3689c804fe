// The avpost archive page: reads /api/jobs and draws one card per job. Everything from the
// catalog goes in as text (textContent), never as HTML.
"use strict";

const state = { q: "", state: "", vendor: "", page: 1, clockOffset: 0 };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) if (child != null) node.append(child);
  return node;
}

// Binary units, as the CLI prints them (avpost archive ls), so the two agree.
function formatSize(bytes) {
  if (bytes == null) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
}

function formatSpan(seconds) {
  const s = Math.abs(seconds);
  if (s >= 86400) return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  if (s >= 3600) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  return Math.max(1, Math.floor(s / 60)) + " min";
}

// The vendor's links die at link_expires_at: a countdown, red under a day unless archived.
function updateExpiry(node) {
  const expires = Number(node.dataset.expires);
  const archived = node.dataset.archived === "true";
  const left = (expires - (Date.now() + state.clockOffset)) / 1000;
  node.classList.toggle("soon", !archived && left < 86400);
  if (archived) node.textContent = "archived; vendor link " + (left > 0 ? "expires in " + formatSpan(left) : "expired");
  else node.textContent = left > 0 ? "vendor link expires in " + formatSpan(left) : "vendor link expired " + formatSpan(left) + " ago";
}

function videoElement(media, extra) {
  const video = el("video", { controls: true, preload: "metadata", playsInline: true });
  Object.assign(video, extra || {});
  const source = el("source", { src: media.url, type: media.type });
  video.append(source);
  // For scripts and the browser test: can this browser play it, and did its metadata load?
  video.dataset.canPlay = video.canPlayType(media.type);
  video.addEventListener("loadedmetadata", () => { video.dataset.videoWidth = String(video.videoWidth); });
  video.addEventListener("error", () => { video.dataset.error = "1"; }, true);
  return video;
}

function jobCard(job) {
  const title = job.name || job.vendor_job_id;
  const card = el("li", { className: "job" });
  card.dataset.jobId = String(job.id);
  card.dataset.state = job.state;
  if (job.poster) {
    const img = el("img", { className: "poster", alt: "poster of " + title, src: job.poster });
    img.addEventListener("load", () => { img.dataset.naturalWidth = String(img.naturalWidth); });
    card.append(img);
  }
  card.append(el("h2", { textContent: title }));
  card.append(el("p", { className: "meta" },
    el("span", { className: "state state-" + job.state, textContent: job.state }),
    " " + job.vendor + " " + job.vendor_job_id + (job.status ? " (status " + job.status + ")" : "")));
  card.append(el("p", { className: "meta", textContent: "rendered " + new Date(job.rendered_at).toLocaleString() }));
  if (job.link_expires_at) {
    const expiry = el("p", { className: "meta expiry" });
    expiry.dataset.expires = String(Date.parse(job.link_expires_at));
    expiry.dataset.archived = String(job.state === "archived");
    updateExpiry(expiry);
    card.append(expiry);
  }
  if (job.video) card.append(videoElement(job.video, job.poster ? { poster: job.poster } : {}));
  if (job.alpha_video) {
    const checker = el("div", { className: "checker", title: "with transparency" });
    // Loaded at once (WebMs are small) so its first frame shows over the checkerboard.
    checker.append(videoElement(job.alpha_video, { loop: true, muted: true, preload: "auto" }));
    card.append(checker);
  }
  const files = el("ul", { className: "files" });
  for (const f of job.files) {
    const label = f.url ? el("a", { href: f.url + "?download=1", textContent: f.name, download: f.name })
                        : el("span", { textContent: f.name + " (" + f.state + ")" });
    files.append(el("li", {}, label, el("span", { className: "size", textContent: formatSize(f.size) })));
  }
  card.append(files);
  return card;
}

function fillSelect(select, values, current) {
  const keep = select.options[0];
  select.replaceChildren(keep);
  for (const v of values) select.append(el("option", { value: v, textContent: v, selected: v === current }));
}

async function load() {
  const params = new URLSearchParams();
  for (const key of ["q", "state", "vendor"]) if (state[key]) params.set(key, state[key]);
  if (state.page > 1) params.set("page", String(state.page));
  history.replaceState(null, "", params.toString() ? "?" + params : location.pathname);
  const summary = document.getElementById("summary");
  const response = await fetch("/api/jobs?" + params, { credentials: "same-origin" });
  if (!response.ok) {
    summary.textContent = "Could not load the archive (" + response.status + ")";
    return;
  }
  const data = await response.json();
  state.clockOffset = Date.parse(data.now) - Date.now();
  fillSelect(document.getElementById("state"), data.states, state.state);
  fillSelect(document.getElementById("vendor"), data.vendors, state.vendor);
  document.getElementById("jobs").replaceChildren(...data.jobs.map(jobCard));
  summary.textContent = data.total + (data.total === 1 ? " job" : " jobs");
  document.getElementById("page-of").textContent = "page " + data.page + " of " + Math.max(1, data.pages);
  document.getElementById("previous").disabled = data.page <= 1;
  document.getElementById("next").disabled = data.page >= data.pages;
  document.body.dataset.loaded = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  const url = new URLSearchParams(location.search);
  for (const key of ["q", "state", "vendor"]) state[key] = url.get(key) || "";
  state.page = Math.max(1, Number(url.get("page")) || 1);
  document.getElementById("q").value = state.q;
  document.getElementById("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = document.getElementById("q").value.trim();
    state.state = document.getElementById("state").value;
    state.vendor = document.getElementById("vendor").value;
    state.page = 1;
    load();
  });
  document.getElementById("previous").addEventListener("click", () => { state.page--; load(); });
  document.getElementById("next").addEventListener("click", () => { state.page++; load(); });
  setInterval(() => document.querySelectorAll(".expiry").forEach(updateExpiry), 30000);
  load();
});
