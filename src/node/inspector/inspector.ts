/**
 * `startInspector`: a local web page that shows every attached peer system live: the mesh and its
 * links coloured by state, the selected peer's chart with its active states highlighted, a timeline
 * of transitions and errors, and why a peer is not connected. Everything it serves comes from this
 * package (no CDN), so it works offline.
 */
import type { PeerSystem } from '../../system.js';
import type { InspectorFeedOptions } from './feed.js';
import { createInspectorFeed } from './feed.js';
import type { PageServerOptions } from './page-server.js';
import { servePage } from './page-server.js';

/** Options of {@link startInspector}; all optional. */
export interface InspectorOptions extends PageServerOptions, InspectorFeedOptions {
  /** Systems to show from the start; more can be attached later. */
  systems?: readonly PeerSystem[];
}

/** A running inspector. */
export interface Inspector {
  /** The page's URL, e.g. `http://127.0.0.1:43121/`. */
  readonly url: string;
  /** Shows another system. Attaching the same one twice changes nothing. */
  attach(system: PeerSystem): void;
  /** Stops watching and serving. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the inspector: an HTTP server on 127.0.0.1 (a free port unless `port` is given) serving the
 * page, which follows the systems over a WebSocket. Views are throttled to 20 per second per peer
 * by default (`throttleMs`); a slow page gets only the latest view of each peer.
 * @throws Error if the port cannot be bound.
 * @example
 * const inspector = await startInspector({ systems: [alice, bob] });
 * console.log(`inspector: ${inspector.url}`);
 */
export async function startInspector(options: InspectorOptions = {}): Promise<Inspector> {
  const feed = createInspectorFeed(options);
  for (const system of options.systems ?? []) feed.attach(system);
  let page: Awaited<ReturnType<typeof servePage>>;
  try {
    page = await servePage(
      {
        hello: () => ({ type: 'hello', mode: 'live' }),
        open(channel) {
          channel.push(feed.current());
          return feed.subscribe((changes) => channel.push(changes));
        },
      },
      options,
    );
  } catch (error) {
    feed.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: page.url,
    attach: (system) => feed.attach(system),
    close() {
      if (!closing) {
        feed.close();
        closing = page.close();
      }
      return closing;
    },
  };
}
