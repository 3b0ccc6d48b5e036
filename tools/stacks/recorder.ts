/**
 * Drives one peer system and records what its peers see: the same code runs inside a browser page
 * (bundled into tools/stacks/page-entry.ts) and in Node, so every stack is tested by one script.
 * Everything it returns is plain JSON, to cross the page boundary.
 */
import type { PeerHandle, PeerState, PeerSystem } from '../../src/index.js';

/** A run of messages to send: text `<prefix><n>` for n in [from, from + count), or one binary message. */
export type Batch = { prefix: string; from: number; count: number } | { bytes: number; seed: number };

/** A received message: text as is, bytes as their length and FNV-1a digest. */
export type Received = string | { bytes: number; digest: number };

/** What one peer of a system saw. */
export interface PeerReport {
  /** The peer's state now. */
  state: PeerState;
  /** Every state it entered, in order. */
  states: PeerState[];
  /** Every message it emitted, in order. */
  received: Received[];
  /** When it emitted the first message: `Date.now()` (ms), comparable across processes on one machine; null before. */
  firstMessageAt: number | null;
}

/** The bytes of a binary batch: `bytes` long, a function of `seed`. */
export function bytesOf(bytes: number, seed: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + seed) & 0xff;
  return data;
}

/** 32-bit FNV-1a of `data`. */
export function digestOf(data: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of data) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** What the remote should receive for `batch`. */
export function expectedOf(batch: Batch): Received[] {
  if ('bytes' in batch) return [{ bytes: batch.bytes, digest: digestOf(bytesOf(batch.bytes, batch.seed)) }];
  return Array.from({ length: batch.count }, (_, i) => `${batch.prefix}${batch.from + i}`);
}

interface Tracked {
  handle: PeerHandle;
  states: PeerState[];
  received: Received[];
  firstMessageAt: number | null;
}

/** Records the peers of one system: those it connects to and those that connect to it. */
export class SystemRecorder {
  private readonly peers = new Map<string, Tracked>();
  /** The system's errors as `code: message`, the last 100. */
  readonly errors: string[] = [];

  constructor(readonly system: PeerSystem) {
    system.incoming$.subscribe((handle) => this.track(handle));
    system.errors$.subscribe((error) => {
      this.errors.push(`${error.code}: ${error.message}`);
      if (this.errors.length > 100) this.errors.shift();
    });
  }

  /** `system.connect(remoteId)`, recorded. */
  connect(remoteId: string): void {
    this.track(this.system.connect(remoteId));
  }

  /** Sends a batch to a peer (connecting to it first if needed). */
  send(remoteId: string, batch: Batch): void {
    const handle = this.peer(remoteId).handle;
    if ('bytes' in batch) handle.send(bytesOf(batch.bytes, batch.seed));
    else for (let i = 0; i < batch.count; i++) handle.send(`${batch.prefix}${batch.from + i}`);
  }

  /** What the peer saw so far; `null` if no such peer is known yet. */
  report(remoteId: string): PeerReport | null {
    const tracked = this.peers.get(remoteId);
    if (!tracked) return null;
    return {
      state: tracked.handle.state,
      states: [...tracked.states],
      received: [...tracked.received],
      firstMessageAt: tracked.firstMessageAt,
    };
  }

  restartIce(remoteId: string): void {
    this.peer(remoteId).handle.restartIce();
  }

  /** Resolves when everything sent to the peer was acknowledged. */
  flushed(remoteId: string): Promise<void> {
    return this.peer(remoteId).handle.flushed();
  }

  private peer(remoteId: string): Tracked {
    if (!this.peers.has(remoteId)) this.connect(remoteId);
    return this.peers.get(remoteId) as Tracked;
  }

  private track(handle: PeerHandle): void {
    if (this.peers.get(handle.id)?.handle === handle) return;
    const tracked: Tracked = { handle, states: [], received: [], firstMessageAt: null };
    this.peers.set(handle.id, tracked);
    handle.state$.subscribe((state) => tracked.states.push(state));
    handle.messages$.subscribe((data) => {
      tracked.firstMessageAt ??= Date.now();
      tracked.received.push(
        typeof data === 'string' ? data : { bytes: data.byteLength, digest: digestOf(data) },
      );
    });
  }
}
