/**
 * One peerstate throughput run: two Node peer systems (@roamhq/wrtc) through the embedded signaling
 * server, the sender pushing messages through `PeerHandle.send` (framing, sequence numbers and
 * cumulative acks on; the outbox holds each message until acknowledged) with the binding's own
 * backpressure (the same high/low water marks and poll period as the raw run). When the outbox is
 * full, `send` throws OutboxFullError and the sender awaits `writable()`. Timed from the first
 * `send` to the receiver's application having every byte.
 */
import type { PeerHandle, PeerSystem, PeerstateError } from '../src/node/index.js';
import { createNodePeerSystem, OutboxFullError } from '../src/node/index.js';
import { within } from './deadline.js';
import { type InspectorReader, readInspector } from './inspector-reader.js';
import { payloadOf, sampleOf, type ThroughputRunOptions, type ThroughputSample } from './raw-throughput.js';

/** Where one peerstate run connects: a fresh room and fresh ids on a running signaling server. */
export interface PeerstateThroughputOptions extends ThroughputRunOptions {
  /** Signaling server URL, e.g. `ws://127.0.0.1:54321`. */
  url: string;
  /** Room, fresh per run. */
  room: string;
  /** Sender id (the smaller one: it makes the offer). */
  aId: string;
  /** Receiver id. */
  bId: string;
  /** Attach the inspector to both systems, with one page reading it (bench/inspector-reader.ts). */
  inspect?: boolean;
}

/** Resolves when the handle is `connected` (now or later). */
function connected(handle: PeerHandle): Promise<void> {
  if (handle.state === 'connected') return Promise.resolve();
  return new Promise((resolve) => {
    const sub = handle.state$.subscribe((state) => {
      if (state !== 'connected') return;
      queueMicrotask(() => sub.unsubscribe());
      resolve();
    });
  });
}

/**
 * Sends `data`, waiting for room in the outbox when it is full. `writable()` resolves once the
 * outbox has room for some message; with equal-sized messages that is room for this one.
 */
async function sendWithBackpressure(handle: PeerHandle, data: Uint8Array): Promise<number> {
  let waits = 0;
  for (;;) {
    try {
      handle.send(data);
      return waits;
    } catch (error) {
      if (!(error instanceof OutboxFullError)) throw error;
    }
    waits++;
    await handle.writable();
  }
}

/**
 * Runs once and resolves with the time from the first `send` to the last byte delivered. Rejects
 * with a DeadlineError past a timeout; both systems are stopped either way.
 */
export async function peerstateThroughput(options: PeerstateThroughputOptions): Promise<ThroughputSample> {
  const { url, room, aId, bId, messages, messageBytes } = options;
  const total = messages * messageBytes;
  const payload = payloadOf(messageBytes);
  const systems: PeerSystem[] = [];
  const errors: string[] = [];
  let reader: InspectorReader | undefined;
  const open = (localId: string): PeerSystem => {
    const system = createNodePeerSystem({
      localId,
      url,
      room,
      highWaterMark: options.highWaterMark,
      lowWaterMark: options.lowWaterMark,
      pollIntervalMs: options.pollIntervalMs,
    });
    systems.push(system);
    system.errors$.subscribe((e: PeerstateError) => errors.push(`${localId}: ${e.code}: ${e.message}`));
    return system;
  };
  try {
    const b = open(bId);
    await within(b.signalingOpen(), options.setupTimeoutMs, `peerstate ${bId}: signaling open`);
    const a = open(aId);
    await within(a.signalingOpen(), options.setupTimeoutMs, `peerstate ${aId}: signaling open`);
    if (options.inspect) reader = await readInspector(systems);

    let received = 0;
    let stoppedAt = 0;
    const done = new Promise<void>((resolve, reject) => {
      b.messages$.subscribe(({ data }) => {
        received += typeof data === 'string' ? data.length : data.byteLength;
        if (received === total) {
          stoppedAt = performance.now();
          resolve();
        } else if (received > total) reject(new Error(`peerstate: received ${received} of ${total} bytes`));
      });
    });

    const toB = a.connect(bId);
    const detail = () =>
      [`A ${toB.state}`, `B ${b.peer(aId)?.state ?? 'no actor'}`, `received ${received}/${total} bytes`]
        .concat(errors)
        .join('; ');
    await within(connected(toB), options.setupTimeoutMs, `peerstate ${aId} → ${bId}: connected`, detail);

    let sent = 0;
    let outboxWaits = 0;
    const start = performance.now();
    const sending = (async () => {
      for (; sent < messages; sent++) outboxWaits += await sendWithBackpressure(toB, payload);
    })();
    await within(
      Promise.all([sending, done]),
      options.timeoutMs,
      `peerstate ${aId} → ${bId}: transfer`,
      () => `sent ${sent}/${messages} messages (${outboxWaits} outbox waits); ${detail()}`,
    );
    return sampleOf(total, stoppedAt - start);
  } finally {
    await reader?.close();
    await within(
      Promise.all(systems.map((s) => s.stop())),
      options.setupTimeoutMs,
      `peerstate ${aId}/${bId}: stop`,
    );
  }
}
