/**
 * Serves the inspector page and its WebSocket on one HTTP server: the page's files (page/, loaded
 * once at start, gzip when asked), the peer chart (visualizations/peer.svg) and `/ws`, where a
 * source (the live feed or a replay) streams views through a {@link ClientChannel} per page.
 *
 * Every request is treated as hostile: only GET of the known files; the Host header must name this
 * server (a DNS-rebinding page cannot read it); a WebSocket must come from this server's own origin
 * (another site open in the same browser cannot connect), at most `maxPages` at once, and a page's
 * frames are accepted only if the source takes them and they parse, else the socket is closed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { ClientChannel } from './client-channel.js';
import type { InspectorMessage } from './views.js';

/** Frames the page may send: only a replay's seek, to a time in ms since the recording started. */
export const pageMessageSchema = z
  .object({ type: z.literal('seek'), t: z.number().finite().min(0) })
  .strict();

/** A frame from the page, checked. */
export type PageMessage = z.infer<typeof pageMessageSchema>;

/** Where the page's views come from. */
export interface InspectorSource {
  /** The first frame each page gets. */
  hello(): InspectorMessage;
  /** A page connected: send it what it should see; returns what to do when it leaves. */
  open(channel: ClientChannel): () => void;
  /** A checked frame from a page; without this method every frame closes the page's socket. */
  receive?(channel: ClientChannel, message: PageMessage): void;
}

/** Options of the inspector's page server (`servePage`): where it listens and how many pages it serves. */
export interface PageServerOptions {
  /** Address to bind. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** Pages connected at once, at most. Default 8. */
  maxPages?: number;
}

/** A running page server. */
export interface PageServer {
  /** The page's URL, e.g. `http://127.0.0.1:43121/`. */
  readonly url: string;
  /** Closes every page's socket and the server. Idempotent: every call returns the same promise. */
  close(): Promise<void>;
}

/** Largest frame a page may send, in bytes. */
const MAX_PAGE_FRAME_BYTES = 256;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
}

/** The package's root folder: the nearest parent with a package.json (the same from src/ under tsx and from dist/). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('the inspector cannot find its package folder (no package.json above it)');
}

/** Every file the page server serves, by URL path. */
function loadAssets(): Map<string, Asset> {
  const root = packageRoot();
  const pageDir = path.join(root, 'src', 'node', 'inspector', 'page');
  const files = new Map<string, string>([['/peer.svg', path.join(root, 'visualizations', 'peer.svg')]]);
  for (const name of readdirSync(pageDir)) files.set(`/${name}`, path.join(pageDir, name));
  const assets = new Map<string, Asset>();
  for (const [url, file] of files) {
    const type = TYPES[path.extname(file)];
    if (!type) continue;
    const body = readFileSync(file);
    assets.set(url === '/index.html' ? '/' : url, { type, body, gzipped: gzipSync(body, { level: 9 }) });
  }
  return assets;
}

/** Starts serving the page with views from `source`. */
export async function servePage(
  source: InspectorSource,
  options: PageServerOptions = {},
): Promise<PageServer> {
  const host = options.host ?? '127.0.0.1';
  const maxPages = options.maxPages ?? 8;
  const assets = loadAssets();
  let allowedHosts = new Set<string>();

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const asset = assets.get(req.url ?? '');
    if (!allowedHosts.has(req.headers.host ?? '')) res.writeHead(421).end();
    else if (req.method !== 'GET' && req.method !== 'HEAD') res.writeHead(405, { allow: 'GET, HEAD' }).end();
    else if (!asset) res.writeHead(404).end();
    else {
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? asset.gzipped : asset.body;
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': body.length,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy':
          "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  };

  const server = createServer(serve);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAGE_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin;
    const ok =
      req.url === '/ws' &&
      allowedHosts.has(req.headers.host ?? '') &&
      (origin === undefined || allowedHosts.has(origin.replace(/^http:\/\//, ''))) &&
      wss.clients.size < maxPages;
    if (!ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const channel = new ClientChannel(ws);
      channel.sendControl(source.hello());
      const leave = source.open(channel);
      ws.on('message', (data, isBinary) => {
        const parsed = isBinary ? undefined : pageMessageSchema.safeParse(parseJson(data.toString()));
        if (!source.receive || !parsed?.success) ws.close(1008, 'unexpected frame');
        else source.receive(channel, parsed.data);
      });
      ws.on('error', () => ws.terminate());
      ws.on('close', leave);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  allowedHosts = new Set([`${shown}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`]);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}/`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
