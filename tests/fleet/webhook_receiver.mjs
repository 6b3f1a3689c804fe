// A webhook receiver for the end-to-end webhook test: an independent Standard Webhooks
// implementation (the npm `standardwebhooks` package) verifies every request.
//
//   node webhook_receiver.mjs STANDARDWEBHOOKS_DIR SECRET_FILE DIR
//
// Listens on 127.0.0.1 (any free port, written to DIR/port). Each POST is logged as one JSON line
// in DIR/attempts.jsonl ({"id", "outcome"}) and then answered:
//   - DIR/down exists: 503 (outcome "down");
//   - DIR/hang exists and this webhook-id was not hung before: never answered (outcome "hung");
//   - the signature verifies: 204, and {"id", "type", "data"} appended to DIR/verified.jsonl;
//   - otherwise: 400 (outcome "rejected").
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [moduleDir, secretFile, dir] = process.argv.slice(2);
const { Webhook } = createRequire(import.meta.url)(moduleDir);
const webhook = new Webhook(readFileSync(secretFile, 'utf8').trim());
const hung = new Set();
const held = [];  // hung responses, kept so that they stay open

const log = (file, entry) => appendFileSync(join(dir, file), JSON.stringify(entry) + '\n');

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'] ?? null;
    if (existsSync(join(dir, 'down'))) {
      log('attempts.jsonl', { id, outcome: 'down' });
      res.writeHead(503).end();
      return;
    }
    if (existsSync(join(dir, 'hang')) && !hung.has(id)) {
      hung.add(id);
      held.push(res);
      log('attempts.jsonl', { id, outcome: 'hung' });
      return;
    }
    try {
      const event = webhook.verify(body, req.headers);
      log('attempts.jsonl', { id, outcome: 'verified' });
      log('verified.jsonl', {
        id, type: event.type, data: event.data, user_agent: req.headers['user-agent'] ?? null,
        content_type: req.headers['content-type'] ?? null, url: req.url,
      });
      res.writeHead(204).end();
    } catch (e) {
      log('attempts.jsonl', { id, outcome: 'rejected', error: String(e.message) });
      res.writeHead(400).end();
    }
  });
});
server.listen(0, '127.0.0.1', () => writeFileSync(join(dir, 'port'), String(server.address().port)));
