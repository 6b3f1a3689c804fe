// The load client of bench/api_bench.sh: drives `avpost serve`'s job API with Node's own fetch
// (no dependencies) and prints what it measured as one JSON object on stdout. The bearer token
// comes from $AVPOST_BENCH_TOKEN (never on the command line).
//
//   node api_load.mjs submit BASE JOB.json REQUESTS CONCURRENCY IDS_OUT
//       POST REQUESTS jobs to /api/v1/jobs, CONCURRENCY in flight; each is JOB.json with every
//       `{{i}}` in its strings replaced by the request's number (1..REQUESTS); the ids go to IDS_OUT
//   node api_load.mjs get BASE IDS CONCURRENCY
//       GET /api/v1/jobs/ID for each id of the file IDS (one a line)
//   node api_load.mjs batch BASE BATCH.json TIMEOUT_SECONDS
//       POST BATCH.json ({template, rows}) to /api/v1/batches, then GET /api/v1/batches/ID every
//       0.5 s until it is finished (or TIMEOUT_SECONDS pass)
//   node api_load.mjs report [--json] RESULT.json...
//       the results of the above (and api_bench.sh's own facts) as a table, or as one JSON object
//
// Exit status 1 when an answer was not the one expected (201 for POST /jobs and /batches, 200 for
// the GETs), with the unexpected answers counted by status in the JSON.
import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const token = process.env.AVPOST_BENCH_TOKEN ?? "";
const headers = { authorization: `Bearer ${token}` };
const timeoutMs = 60_000;

async function request(method, url, body) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = body;
  }
  try {
    const res = await fetch(url, init);
    return { status: res.status, text: await res.text() };
  } catch (e) {
    return { status: `error: ${e.cause?.code ?? e.name}`, text: String(e) };
  }
}

function fill(value, i) {
  if (typeof value === "string") return value.replaceAll("{{i}}", String(i));
  if (Array.isArray(value)) return value.map((v) => fill(v, i));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, i)]));
  return value;
}

// The q-quantile of sorted numbers, nearest rank.
function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const round = (x, digits = 2) => (x === null ? null : Number(x.toFixed(digits)));

// Runs call(i) for i in 0..n-1, `concurrency` at a time; times each and counts the statuses.
async function pool(n, concurrency, expected, call) {
  const latencies = new Array(n);
  const statuses = {};
  let unexpected = null;
  let next = 0;
  const start = performance.now();
  async function lane() {
    for (let i = next++; i < n; i = next++) {
      const t = performance.now();
      const answer = await call(i);
      latencies[i] = performance.now() - t;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status !== expected && unexpected === null)
        unexpected = `${answer.status}: ${answer.text.slice(0, 500)}`;
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.slice().sort((a, b) => a - b);
  return {
    requests: n,
    concurrency,
    seconds: round(seconds, 3),
    requests_per_second: round(n / seconds, 1),
    latency_ms: {
      p50: round(quantile(sorted, 0.5)),
      p95: round(quantile(sorted, 0.95)),
      p99: round(quantile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1]),
    },
    statuses,
    expected,
    all_expected: statuses[expected] === n,
    ...(unexpected ? { first_unexpected: unexpected } : {}),
  };
}

async function submit([base, jobFile, requests, concurrency, idsOut]) {
  const job = JSON.parse(readFileSync(jobFile, "utf8"));
  const n = Number(requests);
  const ids = new Array(n);
  // Warm: the server's catalog connection open and its tables made before the clock starts.
  const warm = await request("GET", `${base}/api/v1/jobs?per_page=1`);
  if (warm.status !== 200) return { route: "POST /api/v1/jobs", all_expected: false, warm_up: `${warm.status}: ${warm.text}` };
  const result = await pool(n, Number(concurrency), 201, async (i) => {
    const answer = await request("POST", `${base}/api/v1/jobs`, JSON.stringify(fill(job, i + 1)));
    if (answer.status === 201) ids[i] = JSON.parse(answer.text).id;
    return answer;
  });
  writeFileSync(idsOut, ids.filter((id) => id !== undefined).join("\n") + "\n");
  return { route: "POST /api/v1/jobs", ...result };
}

async function get([base, idsFile, concurrency]) {
  const ids = readFileSync(idsFile, "utf8").split("\n").filter(Boolean);
  const result = await pool(ids.length, Number(concurrency), 200, (i) => request("GET", `${base}/api/v1/jobs/${ids[i]}`));
  return { route: "GET /api/v1/jobs/ID", ...result };
}

async function batch([base, batchFile, timeoutSeconds]) {
  const body = readFileSync(batchFile, "utf8");
  const rows = JSON.parse(body).rows.length;
  const start = performance.now();
  const created = await request("POST", `${base}/api/v1/batches`, body);
  const postMs = performance.now() - start;
  const result = { route: "POST /api/v1/batches", rows, post_ms: round(postMs), post_status: created.status };
  if (created.status !== 201) return { ...result, ok: false, error: created.text.slice(0, 2000) };
  const id = JSON.parse(created.text).id;
  const deadline = start + Number(timeoutSeconds) * 1000;
  let last = null;
  let polls = 0;
  while (performance.now() < deadline) {
    const answer = await request("GET", `${base}/api/v1/batches/${id}`);
    polls++;
    if (answer.status === 200) {
      last = JSON.parse(answer.text);
      if (last.state === "finished") break;
    } else if (answer.status !== 503) {
      return { ...result, ok: false, error: `GET batch: ${answer.status}: ${answer.text.slice(0, 500)}` };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (performance.now() - start) / 1000;
  const finished = last?.state === "finished";
  const counts = last?.counts ?? {};
  const failedJobs = (last?.jobs ?? []).filter((j) => j.state === "failed").slice(0, 3);
  return {
    ...result,
    id,
    finished,
    seconds: round(seconds, 1),
    jobs_per_minute: round(((counts.done ?? 0) * 60) / seconds, 1),
    counts,
    polls,
    ok: finished && counts.done === rows,
    ...(failedJobs.length ? { failed_examples: failedJobs.map((j) => `${j.name}: ${j.error}`) } : {}),
  };
}

function report(args) {
  const asJson = args[0] === "--json";
  const results = (asJson ? args.slice(1) : args).map((f) => JSON.parse(readFileSync(f, "utf8")));
  const merged = Object.assign({}, ...results);
  if (asJson) return JSON.stringify(merged, null, 2);
  const lines = [];
  const table = (rows) => {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
    for (const r of rows) lines.push(r.map((v, c) => String(v).padEnd(widths[c])).join("  ").trimEnd());
  };
  const statusText = (s) => Object.entries(s.statuses).map(([k, v]) => `${v}x${k}`).join(" ");
  lines.push(`== job API on a PostgreSQL catalog (${merged.context})`);
  const api = [["route", "requests", "in flight", "seconds", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "answers"]];
  for (const s of [merged.submit, merged.get])
    api.push([s.route, s.requests, s.concurrency, s.seconds, s.requests_per_second, s.latency_ms.p50,
              s.latency_ms.p95, s.latency_ms.p99, s.latency_ms.max, statusText(s)]);
  table(api);
  lines.push(`serve peak RSS (VmHWM): ${merged.serve_peak_rss_mb} MB`);
  const b = merged.batch;
  lines.push("");
  lines.push(`== batch: ${b.rows} rows of ${merged.batch_job}, ${merged.workers}`);
  table([
    ["rows", "POST ms", "wall s", "jobs/min", "done", "failed", "cancelled"],
    [b.rows, b.post_ms, b.seconds, b.jobs_per_minute, b.counts?.done ?? "-", b.counts?.failed ?? "-", b.counts?.cancelled ?? "-"],
  ]);
  lines.push(`one delivered web MP4: ${merged.sample_output}`);
  lines.push("");
  lines.push(`load average (1 min) at start ${merged.load_start}, after the API part ${merged.load_api}, at the end ${merged.load_end} (${merged.cpus} CPUs)`);
  return lines.join("\n");
}

const [command, ...args] = process.argv.slice(2);
const commands = { submit, get, batch };
if (command === "report") {
  console.log(report(args));
} else if (commands[command]) {
  const result = await commands[command](args);
  console.log(JSON.stringify(result));
  if (result.all_expected === false || result.ok === false) process.exitCode = 1;
} else {
  console.error("usage: node api_load.mjs submit|get|batch|report ... (see the file's first lines)");
  process.exitCode = 2;
}
