/**
 * The inspector's HTTP and WebSocket surface, from outside: loopback by default, only its own
 * files, only its own origin, and nothing accepted from a live page.
 */
import { request } from 'node:http';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Inspector, startInspector } from '../../src/node/index.js';

let inspector: Inspector;

beforeEach(async () => {
  inspector = await startInspector();
});

afterEach(async () => {
  await inspector.close();
});

/** GET `path` with the given headers; resolves to the status, headers and body length. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const url = new URL(path, inspector.url);
  return new Promise<{ status: number; headers: Record<string, unknown>; bytes: number }>(
    (resolve, reject) => {
      const req = request(url, { method, headers }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

/** Opens the WebSocket with `origin`; resolves to how it ended: `closed <code>` or `refused <status>`. */
function socketOutcome(origin: string | undefined, send?: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(new URL('/ws', inspector.url.replace('http', 'ws')), origin ? { origin } : {});
    ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
    ws.on('error', () => {});
    ws.on('open', () => (send === undefined ? ws.close(1000) : ws.send(send)));
    ws.on('close', (code) => resolve(`closed ${code}`));
  });
}

it('binds 127.0.0.1 on a free port and serves the page, its modules and the peer chart, gzipped when asked', async () => {
  expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await get('/');
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  for (const file of ['/main.js', '/mesh.js', '/chart.js', '/timeline.js', '/style.css', '/peer.svg'])
    expect((await get(file)).status).toBe(200);
  const svg = await get('/peer.svg');
  const zipped = await get('/peer.svg', { 'accept-encoding': 'gzip' });
  expect(zipped.headers['content-encoding']).toBe('gzip');
  expect(zipped.bytes).toBeLessThan(svg.bytes / 3);
});

it('refuses unknown paths, other methods and a Host header that names another server', async () => {
  expect((await get('/../package.json')).status).toBe(404);
  expect((await get('/src/node/index.ts')).status).toBe(404);
  expect((await get('/', {}, 'POST')).status).toBe(405);
  expect((await get('/', { host: 'attacker.example' })).status).toBe(421);
});

it('accepts a WebSocket only from its own origin, and closes a live page that sends anything', async () => {
  const own = inspector.url.replace(/\/$/, '');
  expect(await socketOutcome(own)).toBe('closed 1000');
  expect(await socketOutcome('http://attacker.example')).toBe('refused 403');
  expect(await socketOutcome(own, JSON.stringify({ type: 'seek', t: 1 }))).toBe('closed 1008');
  expect(await socketOutcome(own, 'x'.repeat(10_000))).toBe('closed 1009');
});
