/**
 * An offline recorder of XState inspection events: one JSON object per line, so a run can be
 * replayed or read after the fact without the (online-only) Stately inspector.
 *
 * Each line: `{ "t": ms since start, "system": local peer id, "type": "@xstate.event" | "@xstate.snapshot"
 * | "@xstate.actor" | "@xstate.action" | "@xstate.microstep", "actor": actor id, ... }` with `event`
 * (type and payload) for events and `value`/`status` for snapshots. A snapshot line also names the
 * actor's `systemId` (`system`, `signaling`, `peer:<remote id>`), with, for a peer, the `figures` the
 * inspector shows (src/node/inspector/peer-view.ts) and, for the root, the signaling `generation`:
 * enough for `peerstate replay` to show the run again. Errors a system reported (`errors$`, given to
 * `recordError`) are lines of type `peerstate.error` with the `peer` (or null), `code` and `message`.
 * Binary payloads are written as
 * `{ "bytes": length }`; actor references as their id.
 */
import { createWriteStream } from 'node:fs';
import type { InspectionEvent } from 'xstate';
import type { PeerContext } from '../../machines/peer.js';
import type { PeerstateError } from '../errors.js';
import { chartFiguresOf } from './inspector/peer-view.js';

/** A recorder bound to one file. */
export interface InspectionRecorder {
  /** An `inspect` callback for one system (`createPeerSystem({ inspect })`). */
  inspectorFor(system: string): (event: InspectionEvent) => void;
  /** Records an error of the system whose local id is `system` (from its `errors$`). */
  recordError(system: string, error: PeerstateError): void;
  /** Lines written so far. */
  readonly lines: number;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

function safe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Uint8Array || v instanceof ArrayBuffer) return { bytes: v.byteLength };
      if (typeof v === 'function') return undefined;
      if (v && typeof v === 'object' && 'sessionId' in v && 'send' in v)
        return `actor:${(v as unknown as { id: string }).id}`;
      return v;
    }) ?? 'null',
  );
}

/** Opens `path` (truncating it) and records inspection events into it. */
export function createInspectionRecorder(path: string): InspectionRecorder {
  const out = createWriteStream(path, { flags: 'w' });
  const started = performance.now();
  let lines = 0;
  const write = (record: Record<string, unknown>) => {
    out.write(`${JSON.stringify(record)}\n`);
    lines++;
  };
  const now = () => Math.round((performance.now() - started) * 1000) / 1000;
  return {
    inspectorFor(system) {
      return (event) => {
        const base = {
          t: now(),
          system,
          type: event.type,
          actor: (event.actorRef as { id?: string }).id ?? null,
        };
        switch (event.type) {
          case '@xstate.event':
            write({
              ...base,
              source: (event.sourceRef as { id?: string } | undefined)?.id ?? null,
              event: safe(event.event),
            });
            break;
          case '@xstate.snapshot': {
            const snapshot = event.snapshot as { value?: unknown; status?: string; context?: unknown };
            const systemId = (event.actorRef as { systemId?: string }).systemId ?? null;
            write({
              ...base,
              systemId,
              event: (event.event as { type: string }).type,
              value: safe(snapshot.value ?? null),
              status: snapshot.status ?? null,
              ...(systemId?.startsWith('peer:')
                ? { figures: chartFiguresOf(snapshot.context as PeerContext) }
                : {}),
              ...(systemId === 'system'
                ? { generation: (snapshot.context as { generation: number }).generation }
                : {}),
            });
            break;
          }
          case '@xstate.action':
            write({ ...base, action: event.action.type });
            break;
          default:
            write(base);
        }
      };
    },
    recordError(system, error) {
      write({
        t: now(),
        system,
        type: 'peerstate.error',
        peer: error.peerId ?? null,
        code: error.code,
        message: error.message,
      });
    },
    get lines() {
      return lines;
    },
    close() {
      return new Promise((resolve, reject) => {
        out.end((error?: Error | null) => (error ? reject(error) : resolve()));
      });
    },
  };
}
