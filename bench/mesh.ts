/**
 * The mesh bench: N peer systems in one process, every one connecting to every other in the same
 * tick, against the raw @roamhq/wrtc mesh with the best of several hand-tuned limits on links in
 * flight, measured in the same run. Reports connected links, the time to the last link, links still
 * connected after a hold, the descriptors per pc and in total, rss per link, and whether the
 * signaling server dropped any frame (its per-socket rate limit) or a system reported a dropped signal.
 */

import type { PeerHandle, PeerSystem } from '../src/node/index.js';
import { createNodePeerSystem } from '../src/node/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { within } from './deadline.js';
import { assertDescriptorBudget, descriptorsPerPeerConnection, openDescriptors } from './mesh-descriptors.js';
import { rawMesh } from './mesh-raw.js';

/** Mesh bench parameters. */
export interface MeshOptions {
  /** Peer systems (≥ 2). */
  peers: number;
  /** How long the links must stay `connected` after all connected, in ms (0: not checked). */
  holdMs: number;
  /** Limits on raw links in flight to try; the fastest is the baseline. */
  rawLimits: number[];
  /** peerstate's `maxConcurrentNegotiations` (default: the library's). */
  maxConcurrentNegotiations?: number;
  /** Bound of every wait, in ms. */
  timeoutMs: number;
}

/** What one mesh bench run measured. Times in ms, sizes in bytes. */
export interface MeshResult {
  peers: number;
  links: number;
  /** Links on which both handles reached `connected` and each side received one message. */
  connectedLinks: number;
  /** From the connect calls to the last link connected on both sides. */
  lastLinkMs: number;
  /** Links with both handles `connected` after `holdMs`. */
  stillConnectedLinks: number;
  /** The raw mesh's time to the last link with its best limit, and that limit. */
  rawLastLinkMs: number;
  rawLimit: number;
  rawConnectedLinks: number;
  /** Every raw limit tried: limit → ms to the last link. */
  rawByLimit: Record<string, number>;
  ratio: number;
  /** Descriptors of one connected wrtc pc (probe) and the peak total during the peerstate mesh. */
  descriptorsPerPc: number;
  descriptorsTotal: number;
  rssPerLinkBytes: number;
  /** Frames the server dropped for its rate limit, and `signaling-dropped` errors of the systems. */
  rateLimitedFrames: number;
  droppedSignals: number;
}

/** Resolves once every handle has been `connected` at least once. */
function allConnected(handles: PeerHandle[]): Promise<void> {
  return Promise.all(
    handles.map(
      (handle) =>
        new Promise<void>((resolve) => {
          const sub = handle.state$.subscribe((state) => {
            if (state !== 'connected') return;
            resolve();
            queueMicrotask(() => sub.unsubscribe());
          });
        }),
    ),
  ).then(() => undefined);
}

/** Resolves once every system sees all the others present on its signaling session. */
async function allPresent(systems: PeerSystem[], timeoutMs: number): Promise<void> {
  const everyone = () =>
    systems.every((s) => Object.keys(s.actor.getSnapshot().context.present).length === systems.length - 1);
  const seen = new Promise<void>((resolve) => {
    const poll = () => (everyone() ? resolve() : setTimeout(poll, 5));
    poll();
  });
  await within(seen, timeoutMs, 'mesh: presence of every peer');
}

/**
 * One peerstate mesh: a signaling server on 127.0.0.1, `peers` systems, every `connect` in the same
 * tick; then one message per link and direction, then the hold.
 */
async function peerstateMesh(options: MeshOptions, progress: (line: string) => void) {
  const { peers, timeoutMs } = options;
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const systems: PeerSystem[] = [];
  let droppedSignals = 0;
  const errors: string[] = [];
  try {
    const ids = Array.from({ length: peers }, (_, i) => `peer-${String(i + 1).padStart(2, '0')}`);
    const rssBefore = process.memoryUsage().rss;
    for (const localId of ids) {
      const system = createNodePeerSystem({
        localId,
        url: server.url,
        room: 'mesh',
        ...(options.maxConcurrentNegotiations
          ? { maxConcurrentNegotiations: options.maxConcurrentNegotiations }
          : {}),
      });
      system.errors$.subscribe((e) => {
        if (e.code === 'signaling-dropped') droppedSignals++;
        if (errors.length < 20 || (e.code === 'signaling-server-error' && errors.length < 40))
          errors.push(`${localId}: ${e.code}: ${e.message}`);
      });
      systems.push(system);
    }
    await within(Promise.all(systems.map((s) => s.signalingOpen())), timeoutMs, 'mesh: signaling open');
    await allPresent(systems, timeoutMs);

    const start = performance.now();
    // Every system connects to every other, all in this one tick.
    const handles = systems.map((s) => ids.filter((id) => id !== s.localId).map((id) => s.connect(id)));
    const all = handles.flat();
    const states = () => {
      const counts: Record<string, number> = {};
      for (const h of all) counts[h.state] = (counts[h.state] ?? 0) + 1;
      return JSON.stringify(counts);
    };
    const errorCodes: Record<string, number> = {};
    for (const s of systems) s.errors$.subscribe((e) => (errorCodes[e.code] = (errorCodes[e.code] ?? 0) + 1));
    const ticker = setInterval(
      () =>
        progress(`peerstate: ${states()}, errors ${JSON.stringify(errorCodes)}, ${openDescriptors()} fds`),
      2_000,
    );
    // A mesh that does not come up still reports what it reached (the links that connected, below).
    const complete = await within(allConnected(all), timeoutMs, 'mesh: every link connected', () =>
      [states(), ...errors].join('; '),
    )
      .then(() => true)
      .catch((error: unknown) => {
        progress(String(error));
        return false;
      })
      .finally(() => clearInterval(ticker));
    const lastLinkMs = complete ? performance.now() - start : Number.NaN;
    const descriptorsTotal = openDescriptors();
    const rssPerLinkBytes = (process.memoryUsage().rss - rssBefore) / ((peers * (peers - 1)) / 2);
    if (complete) progress(`peerstate: ${all.length / 2} links connected in ${lastLinkMs.toFixed(0)} ms`);

    // One message per link and direction; a link counts when both sides received theirs.
    const got = new Set<PeerHandle>();
    const received = Promise.all(
      all.map(
        (h) =>
          new Promise<void>((resolve) => {
            const sub = h.messages$.subscribe(() => {
              got.add(h);
              resolve();
              queueMicrotask(() => sub.unsubscribe());
            });
          }),
      ),
    );
    for (const h of all) h.send('hi');
    // Incomplete: the links that did connect get a short while for their messages.
    await within(
      received,
      complete ? timeoutMs : 10_000,
      'mesh: one message per link and direction',
      () => `${got.size}/${all.length} received`,
    ).catch((error: unknown) => progress(String(error)));
    let connectedLinks = 0;
    for (const [i, row] of handles.entries()) {
      for (const h of row) {
        const j = ids.indexOf(h.id);
        const back = handles[j]?.find((x) => x.id === ids[i]);
        if (j > i && back && got.has(h) && got.has(back)) connectedLinks++;
      }
    }

    if (options.holdMs > 0) {
      progress(`peerstate: holding ${options.holdMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, options.holdMs));
    }
    const stillConnectedLinks = all.filter((h) => h.state === 'connected').length / 2;
    return {
      lastLinkMs,
      connectedLinks,
      stillConnectedLinks: Math.floor(stillConnectedLinks),
      descriptorsTotal,
      rssPerLinkBytes,
      rateLimitedFrames: server.stats().rateLimited,
      droppedSignals,
    };
  } finally {
    await within(Promise.all(systems.map((s) => s.stop())), timeoutMs, 'mesh: stop');
    await server.close();
  }
}

/**
 * Runs the raw mesh with every limit, then the peerstate mesh. The descriptors the larger of the two
 * needs are checked first.
 * @throws DescriptorLimitError before anything starts if the mesh would cross `ulimit -n`.
 */
export async function runMeshBench(
  options: MeshOptions,
  progress: (line: string) => void,
): Promise<MeshResult> {
  const { peers, timeoutMs } = options;
  const links = (peers * (peers - 1)) / 2;
  const descriptorsPerPc = await descriptorsPerPeerConnection(timeoutMs);
  // Two pcs per link; a WebSocket on each side of the server per system.
  assertDescriptorBudget(2 * links, descriptorsPerPc, 2 * peers + 16);
  progress(`${peers} peers, ${links} links: about ${descriptorsPerPc.toFixed(1)} descriptors per pc`);

  const rawByLimit: Record<string, number> = {};
  let best = { limit: 0, ms: Number.POSITIVE_INFINITY, connected: 0 };
  for (const limit of options.rawLimits) {
    const raw = await rawMesh(peers, limit, timeoutMs);
    rawByLimit[String(limit)] = Math.round(raw.lastLinkMs);
    progress(
      `raw, ≤ ${limit} in flight: ${raw.connectedLinks}/${links} links in ${raw.lastLinkMs.toFixed(0)} ms`,
    );
    if (raw.connectedLinks === links && raw.lastLinkMs < best.ms)
      best = { limit, ms: raw.lastLinkMs, connected: raw.connectedLinks };
  }
  const mesh = await peerstateMesh(options, progress);
  return {
    peers,
    links,
    connectedLinks: mesh.connectedLinks,
    lastLinkMs: Math.round(mesh.lastLinkMs),
    stillConnectedLinks: mesh.stillConnectedLinks,
    rawLastLinkMs: Math.round(best.ms),
    rawLimit: best.limit,
    rawConnectedLinks: best.connected,
    rawByLimit,
    ratio: Number((mesh.lastLinkMs / best.ms).toFixed(2)),
    descriptorsPerPc: Number(descriptorsPerPc.toFixed(1)),
    descriptorsTotal: mesh.descriptorsTotal,
    rssPerLinkBytes: Math.round(mesh.rssPerLinkBytes),
    rateLimitedFrames: mesh.rateLimitedFrames,
    droppedSignals: mesh.droppedSignals,
  };
}

/** The human-readable lines of a result. */
export function meshSummaryLines(r: MeshResult): string[] {
  const raw = Object.entries(r.rawByLimit)
    .map(([limit, ms]) => `≤ ${limit}: ${ms} ms`)
    .join(', ');
  return [
    `mesh of ${r.peers} peers: ${r.connectedLinks}/${r.links} links connected and exchanged a message; ` +
      `last link after ${r.lastLinkMs} ms; ${r.stillConnectedLinks}/${r.links} still connected after the hold`,
    `raw @roamhq/wrtc (links in flight ${raw}): best ${r.rawLastLinkMs} ms (≤ ${r.rawLimit}); ratio ${r.ratio}`,
    `descriptors: ${r.descriptorsPerPc} per connected pc, ${r.descriptorsTotal} open at the peak; ` +
      `rss ${(r.rssPerLinkBytes / 1024).toFixed(0)} KiB per link`,
    `signaling: ${r.rateLimitedFrames} frames rate-limited by the server, ${r.droppedSignals} signals dropped`,
  ];
}

/** The `--json` line. */
export function meshJson(r: MeshResult): string {
  const { peers, links, connectedLinks, lastLinkMs, rawLastLinkMs, ratio, rssPerLinkBytes } = r;
  return JSON.stringify({
    peers,
    links,
    connectedLinks,
    lastLinkMs,
    rawLastLinkMs,
    ratio,
    rssPerLinkBytes,
    stillConnectedLinks: r.stillConnectedLinks,
    rawLimit: r.rawLimit,
    descriptorsPerPc: r.descriptorsPerPc,
    descriptorsTotal: r.descriptorsTotal,
    rateLimitedFrames: r.rateLimitedFrames,
    droppedSignals: r.droppedSignals,
  });
}
