/**
 * A static HTTP server on 127.0.0.1 for a fixed set of in-memory files: what browser tests, the
 * example and the interop run serve their pages and bundles from. A page must come from
 * http://127.0.0.1 (not about:blank) to open ws://127.0.0.1 (docs/stacks.md).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One served file. */
export interface PageFile {
  /** The Content-Type header, e.g. `text/html; charset=utf-8`. */
  type: string;
  body: string | Uint8Array;
}

/** A running page server. */
export interface PageServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  /** Stops listening and drops open connections; idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `files` (keyed by URL path, e.g. `/` or `/peerstate.js`) to GET and HEAD on 127.0.0.1;
 * anything else is a 404 (unknown path) or a 405 (other method). `port` 0 (the default) takes a
 * free one.
 */
export async function servePages(files: Readonly<Record<string, PageFile>>, port = 0): Promise<PageServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = Object.hasOwn(files, path) ? files[path] : undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
    } else if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } else {
      response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : file.body);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
