// An independent client of avpost's HTTP job API (not avpost's code): drives a real `avpost serve`
// through submit, status, cancel, retry, Idempotency-Key, token scopes, 422 field errors and
// batches, and checks every answer against docs/openapi.json with openapi-backend (the document
// itself with @seriousme/openapi-schema-validator). Node's own fetch, no avpost code.
//
//   node api_client.mjs CONFIG.json
// CONFIG: {base, submit_token, read_token, openapi, npm, jobs: {valid, other, invalid, env_reference,
//          outside_root}, batch: {template, rows, bad_rows}, start_worker_file}
// It writes start_worker_file when the queue-only part is done (the test then starts a worker),
// and prints one JSON line of what it checked. Exit 0: all held; 1: something did not (each
// failure on stderr).
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(config.npm, 'node_modules', 'x.js'));
const { OpenAPIBackend } = require('openapi-backend');
const { Validator } = require('@seriousme/openapi-schema-validator');

const failures = [];
const checked = { answers: 0, validated: 0 };
function expect(condition, what) {
  if (!condition) failures.push(what);
  return condition;
}

const document = JSON.parse(readFileSync(config.openapi, 'utf8'));
const schemaCheck = await new Validator().validate(document);
expect(schemaCheck.valid, `docs/openapi.json is not a valid OpenAPI document: ${JSON.stringify(schemaCheck.errors)}`);
// quick: openapi-backend's own document check knows OpenAPI 3.0 only; the 3.1 check is the one above.
const api = new OpenAPIBackend({ definition: structuredClone(document), quick: true, strict: true, validate: true });
await api.init();

// One request: the answer's status, headers and parsed body; validated against the document
// for `operationId` (null: a route the document does not have).
async function call(method, route, { token, body, raw, type = 'application/json', headers = {}, operationId } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) h['Content-Type'] = type;
  const res = await fetch(config.base + route, { method, headers: h, body: payload });
  const text = await res.text();
  const contentType = res.headers.get('content-type') || '';
  let json = null;
  try { json = JSON.parse(text); } catch { /* checked below */ }
  checked.answers++;
  const what = `${method} ${route} -> ${res.status}`;
  expect(json !== null, `${what}: the body is not JSON: ${text.slice(0, 200)}`);
  if (res.status >= 400) {
    expect(contentType.startsWith('application/problem+json'), `${what}: a failure is not application/problem+json (${contentType})`);
    if (json) expect(json.status === res.status && typeof json.title === 'string' && typeof json.type === 'string',
                     `${what}: not a problem document: ${text}`);
  } else {
    expect(contentType.startsWith('application/json'), `${what}: content type ${contentType}`);
  }
  if (operationId && json !== null) {
    const v = api.validateResponse(json, operationId, res.status);
    checked.validated++;
    expect(v.valid, `${what}: does not match the OpenAPI document (${operationId}): ${JSON.stringify(v.errors)}\n${text}`);
  }
  for (const secret of [config.submit_token, config.read_token])
    expect(!text.includes(secret), `${what}: the answer holds a token`);
  return { status: res.status, headers: res.headers, body: json, text };
}

const S = config.submit_token, R = config.read_token;
const jobs = config.jobs;

// --- the document, served as kept in docs/ -------------------------------------------------
{
  const r = await call('GET', '/api/v1/openapi.json', { operationId: 'getOpenApiDocument' });
  expect(r.status === 200 && isDeepStrictEqual(r.body, document), 'GET /api/v1/openapi.json is not docs/openapi.json');
}

// --- tokens and scopes -----------------------------------------------------------------------
{
  let r = await call('GET', '/api/v1/jobs', { operationId: 'listJobs' });
  expect(r.status === 401, `no token: ${r.status}, not 401`);
  expect((r.headers.get('www-authenticate') || '').startsWith('Bearer'), 'no token: no WWW-Authenticate: Bearer');
  r = await call('GET', '/api/v1/jobs', { token: 'not-a-token-of-this-server', operationId: 'listJobs' });
  expect(r.status === 401, `a wrong token: ${r.status}, not 401`);
  r = await call('POST', '/api/v1/jobs', { token: R, body: jobs.valid, operationId: 'submitJob' });
  expect(r.status === 403, `a read token submitting: ${r.status}, not 403`);
  r = await call('POST', '/api/v1/jobs/1/cancel', { token: R, operationId: 'cancelJob' });
  expect(r.status === 403, `a read token cancelling: ${r.status}, not 403`);
  r = await call('GET', '/api/v1/jobs', { token: R, operationId: 'listJobs' });
  expect(r.status === 200 && r.body.total === 0, `a read token listing an empty queue: ${r.status} ${r.text}`);
}

// --- bodies the API refuses ------------------------------------------------------------------
{
  let r = await call('POST', '/api/v1/jobs', { token: S, raw: '{"name": ', operationId: 'submitJob' });
  expect(r.status === 400, `malformed JSON: ${r.status}`);
  r = await call('POST', '/api/v1/jobs', { token: S, raw: JSON.stringify(jobs.valid), type: 'text/plain', operationId: 'submitJob' });
  expect(r.status === 415, `text/plain: ${r.status}`);
  r = await call('POST', '/api/v1/jobs', { token: S, raw: JSON.stringify({ name: 'x', pad: 'x'.repeat(2 << 20) }), operationId: 'submitJob' });
  expect(r.status === 413, `a 2 MiB body: ${r.status}`);
  r = await call('POST', '/api/v1/jobs', { token: S, raw: '['.repeat(100) + ']'.repeat(100), operationId: 'submitJob' });
  expect(r.status === 400, `JSON nested 100 deep: ${r.status}`);

  r = await call('POST', '/api/v1/jobs', { token: S, body: jobs.invalid, operationId: 'submitJob' });
  expect(r.status === 422, `an invalid job: ${r.status}`);
  const paths = (r.body?.errors || []).map((e) => e.path);
  for (const p of config.invalid_paths) expect(paths.includes(p), `an invalid job: no error for ${p} (got ${JSON.stringify(r.body?.errors)})`);

  r = await call('POST', '/api/v1/jobs', { token: S, body: jobs.env_reference, operationId: 'submitJob' });
  expect(r.status === 422 && JSON.stringify(r.body?.errors).includes('environment'), `a job reading the server's environment: ${r.status} ${r.text}`);
  r = await call('POST', '/api/v1/jobs', { token: S, body: jobs.outside_root, operationId: 'submitJob' });
  expect(r.status === 422 && JSON.stringify(r.body?.errors).includes('job root'), `a job reading outside the job root: ${r.status} ${r.text}`);

  r = await call('GET', '/api/v1/jobs', { token: R, operationId: 'listJobs' });
  expect(r.body?.total === 0, `refused jobs were queued: ${r.text}`);
}

// --- submit, idempotency ---------------------------------------------------------------------
let validId, otherId;
{
  const key = { 'Idempotency-Key': 'order-4711' };
  let first = await call('POST', '/api/v1/jobs', { token: S, body: jobs.valid, headers: key, operationId: 'submitJob' });
  expect(first.status === 201 && first.body.created === true, `submit: ${first.status} ${first.text}`);
  expect(first.headers.get('location') === `/api/v1/jobs/${first.body.id}`, `submit: Location ${first.headers.get('location')}`);
  validId = first.body.id;
  let again = await call('POST', '/api/v1/jobs', { token: S, body: jobs.valid, headers: key, operationId: 'submitJob' });
  expect(again.status === first.status && again.text === first.text, `the same key and body: ${again.status} ${again.text}`);
  expect(again.headers.get('idempotent-replayed') === 'true', 'the same key and body: no Idempotent-Replayed');
  let other = await call('POST', '/api/v1/jobs', { token: S, body: jobs.other, headers: key, operationId: 'submitJob' });
  expect(other.status === 409, `the same key, another body: ${other.status}`);
  let unkeyed = await call('POST', '/api/v1/jobs', { token: S, body: jobs.valid, operationId: 'submitJob' });
  expect(unkeyed.status === 200 && unkeyed.body.created === false && unkeyed.body.id === validId,
         `the same job again without a key: ${unkeyed.status} ${unkeyed.text}`);
  let second = await call('POST', '/api/v1/jobs', { token: S, body: jobs.other, operationId: 'submitJob' });
  expect(second.status === 201, `another job: ${second.status} ${second.text}`);
  otherId = second.body.id;
  let list = await call('GET', '/api/v1/jobs', { token: R, operationId: 'listJobs' });
  expect(list.body?.total === 2 && list.body.jobs[0].id === otherId, `the queue, newest first: ${list.text}`);
  list = await call('GET', '/api/v1/jobs?state=queued&per_page=1&page=2', { token: R, operationId: 'listJobs' });
  expect(list.body?.total === 2 && list.body.pages === 2 && list.body.jobs.length === 1 && list.body.jobs[0].id === validId,
         `page 2 of queued, one a page: ${list.text}`);
  for (const bad of ['state=bogus', 'page=0', 'per_page=201', 'page=x']) {
    const r = await call('GET', `/api/v1/jobs?${bad}`, { token: R, operationId: 'listJobs' });
    expect(r.status === 400, `GET /api/v1/jobs?${bad}: ${r.status}`);
  }
}

// --- cancel and retry (no worker runs yet: the states are the API's alone) --------------------
{
  let r = await call('POST', `/api/v1/jobs/${otherId}/cancel`, { token: S, operationId: 'cancelJob' });
  expect(r.status === 200 && r.body.state === 'cancelled', `cancel a queued job: ${r.status} ${r.text}`);
  r = await call('POST', `/api/v1/jobs/${otherId}/cancel`, { token: S, operationId: 'cancelJob' });
  expect(r.status === 409, `cancel a cancelled job: ${r.status}`);
  r = await call('POST', `/api/v1/jobs/${validId}/retry`, { token: S, operationId: 'retryJob' });
  expect(r.status === 409, `retry a queued job: ${r.status}`);
  r = await call('POST', `/api/v1/jobs/${otherId}/retry`, { token: S, operationId: 'retryJob' });
  expect(r.status === 200 && r.body.state === 'queued' && r.body.attempts === 0, `retry a cancelled job: ${r.status} ${r.text}`);
  r = await call('POST', '/api/v1/jobs/999999/cancel', { token: S, operationId: 'cancelJob' });
  expect(r.status === 404, `cancel an unknown job: ${r.status}`);
  r = await call('GET', '/api/v1/jobs/999999', { token: R, operationId: 'getJob' });
  expect(r.status === 404, `an unknown job: ${r.status}`);
  r = await call('GET', '/api/v1/jobs/abc', { token: R, operationId: 'getJob' });
  expect(r.status === 404, `job "abc": ${r.status}`);
  r = await call('GET', '/api/v1/nothing-here', { token: R });
  expect(r.status === 404, `an unknown route: ${r.status}`);
}

// --- batches ---------------------------------------------------------------------------------
let batchId, batchJobIds = [];
{
  let r = await call('POST', '/api/v1/batches', { token: S, body: { template: config.batch.template, rows: config.batch.bad_rows }, operationId: 'submitBatch' });
  expect(r.status === 422, `a batch with a bad row: ${r.status} ${r.text}`);
  const rows = (r.body?.errors || []).map((e) => e.row);
  for (const row of config.batch.bad_row_numbers) expect(rows.includes(row), `a batch with a bad row: row ${row} not named: ${r.text}`);
  r = await call('GET', '/api/v1/jobs', { token: R, operationId: 'listJobs' });
  expect(r.body?.total === 2, `a refused batch queued something: ${r.text}`);

  r = await call('POST', '/api/v1/batches', { token: S, body: { template: config.batch.template, rows: config.batch.rows }, operationId: 'submitBatch' });
  expect(r.status === 201 && r.body.jobs.length === config.batch.rows.length, `a batch: ${r.status} ${r.text}`);
  batchId = r.body?.id;
  batchJobIds = (r.body?.jobs || []).map((j) => j.id);
  r = await call('GET', `/api/v1/batches/${batchId}`, { token: R, operationId: 'getBatch' });
  expect(r.status === 200 && r.body.counts.queued === config.batch.rows.length && r.body.state === 'running', `the batch: ${r.text}`);
}

// --- a worker runs the queue: states, stages and outputs -------------------------------------
writeFileSync(config.start_worker_file, 'go\n');
const deadline = Date.now() + config.run_seconds * 1000;
async function finished(id) {
  for (;;) {
    const r = await call('GET', `/api/v1/jobs/${id}`, { token: R, operationId: 'getJob' });
    if (r.body && ['done', 'failed', 'cancelled'].includes(r.body.state)) return r.body;
    if (Date.now() > deadline) { expect(false, `job ${id} did not finish: ${r.text}`); return r.body; }
    await new Promise((f) => setTimeout(f, 200));
  }
}
let downloaded = 0;
for (const id of [validId, otherId, ...batchJobIds]) {
  let job = await finished(id);
  if (id === validId) {
    // Its completion webhook: delivered by the working serve, shown without the URL's query.
    while (job?.webhooks?.[0]?.state !== 'delivered' && Date.now() < deadline) {
      await new Promise((f) => setTimeout(f, 200));
      job = (await call('GET', `/api/v1/jobs/${id}`, { token: R, operationId: 'getJob' })).body;
    }
    const hook = job?.webhooks?.[0];
    expect(job?.webhooks?.length === 1 && hook.type === 'job.succeeded' && hook.state === 'delivered',
           `job ${id}: its webhook: ${JSON.stringify(job?.webhooks)}`);
    expect(!JSON.stringify(job?.webhooks).includes('receiver-secret'), `job ${id}: the webhook URL's query is shown`);
  } else {
    expect(Array.isArray(job?.webhooks) && job.webhooks.length === 0, `job ${id}: webhooks without notify: ${JSON.stringify(job?.webhooks)}`);
  }
  if (!expect(job?.state === 'done', `job ${id} ended ${job?.state}: ${job?.error}`)) continue;
  expect(job.stages.map((s) => s.name).includes('archive'), `job ${id}: no archive stage: ${JSON.stringify(job.stages)}`);
  expect(job.outputs.length > 0, `job ${id}: no outputs`);
  for (const out of job.outputs) {
    const res = await fetch(config.base + out.url, { headers: { Authorization: `Bearer ${R}` } });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.status === 200 && bytes.length === out.bytes, `job ${id}: GET ${out.url}: ${res.status}, ${bytes.length} bytes of ${out.bytes}`);
    expect(createHash('sha256').update(bytes).digest('hex') === out.sha256, `job ${id}: ${out.name}: the bytes do not have the sha256 the API gives`);
    downloaded++;
  }
}
{
  const r = await call('GET', `/api/v1/batches/${batchId}`, { token: R, operationId: 'getBatch' });
  expect(r.body?.state === 'finished' && r.body.counts.done === config.batch.rows.length, `the batch after its jobs ran: ${r.text}`);
  const done = await call('POST', `/api/v1/jobs/${validId}/cancel`, { token: S, operationId: 'cancelJob' });
  expect(done.status === 409, `cancel a done job: ${done.status}`);
}

console.log(JSON.stringify({ ok: failures.length === 0, ...checked, downloaded, failures: failures.length }));
for (const f of failures) console.error('FAILED: ' + f);
process.exit(failures.length === 0 ? 0 : 1);
