/**
 * `npm run example`: the embedded signaling server and the chat page (examples/chat/index.html,
 * page.ts), both on 127.0.0.1. The page loads the library from `/peerstate.js`, the browser build of
 * the root entry. Open it in two tabs, e.g. `?id=alice` and `?id=bob&to=alice`.
 * Usage: `npm run example -- [--port N]` (default 0: a free port).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { startSignalingServer } from '../../src/server/index.js';
import { bundleForBrowser, ROOT_ENTRY } from '../../tools/browser-bundle.js';
import { servePages } from '../../tools/page-server.js';

/** A running chat example. */
export interface ChatExample {
  /** The page's URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The signaling server's URL. */
  readonly signalingUrl: string;
  /** Stops both servers. */
  close(): Promise<void>;
}

/** Starts the signaling server and serves the chat page on `port` (0: a free one). */
export async function startChatExample(port = 0): Promise<ChatExample> {
  const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
  const [library, chat, html, signaling] = await Promise.all([
    bundleForBrowser(ROOT_ENTRY),
    bundleForBrowser(here('./page.ts'), { externals: { [ROOT_ENTRY]: '/peerstate.js' } }),
    readFile(here('./index.html'), 'utf8'),
    startSignalingServer(),
  ]);
  const script = 'text/javascript; charset=utf-8';
  const pages = await servePages(
    {
      '/': { type: 'text/html; charset=utf-8', body: html.replace('%SIGNALING_URL%', signaling.url) },
      '/peerstate.js': { type: script, body: library.code },
      '/chat.js': { type: script, body: chat.code },
    },
    port,
  ).catch(async (error: unknown) => {
    await signaling.close();
    throw error;
  });
  return {
    url: pages.url,
    signalingUrl: signaling.url,
    close: async () => {
      await pages.close();
      await signaling.close();
    },
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('an integer 0-65535');
  return port;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { port } = new Command('example')
    .description('chat between browser tabs through peerstate')
    .option('--port <n>', 'HTTP port of the page (0: a free one)', parsePort, 0)
    .parse()
    .opts<{ port: number }>();
  const example = await startChatExample(port);
  console.log(`signaling on ${example.signalingUrl}`);
  console.log(`open ${example.url}/?id=alice and ${example.url}/?id=bob&to=alice in two tabs; Ctrl-C stops`);
  process.once('SIGINT', () => void example.close().then(() => process.exit(0)));
}
