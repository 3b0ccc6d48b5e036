/**
 * `peerstate replay run.jsonl`: the inspector page over a recording made with `demo --record`
 * (src/node/inspection-recorder.ts) instead of live systems, with a scrubber over time. The file is
 * read once: the snapshot lines that change a peer, a signaling session or a root, and the errors,
 * are kept (together bounded by `MAX_FRAMES`), the rest are skipped, and so is every line that does not parse or names a state
 * the peer chart does not have. A page asks for a time with `{ "type": "seek", "t": ms }` and gets
 * the state of every system and peer at that time, and the timeline up to it.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { peerMachine } from '../../../machines/peer.js';
import type { SignalingState } from '../../system.js';
import { chartGraph } from '../../visualize/walk.js';
import type { FeedChanges } from './feed.js';
import type { PageServer, PageServerOptions } from './page-server.js';
import { parseJson, servePage } from './page-server.js';
import type { ChartFigures } from './peer-view.js';
import { activeStateIds, peerViewOf } from './peer-view.js';
import { sameValue, transitionEntry } from './timeline-entry.js';
import type { PeerView, SystemView, TimelineEntry } from './views.js';

/** Most state changes and errors a replay keeps from one recording. */
export const MAX_FRAMES = 200_000;

/** Timeline entries a page gets with each seek: the newest up to that time. */
const TIMELINE_LIMIT = 500;

const id = z.string().min(1).max(256);
const count = z.number().int().min(0);
const snapshotLine = z.object({
  t: z.number().finite().min(0),
  system: id,
  type: z.literal('@xstate.snapshot'),
  systemId: id.nullable(),
  event: z.string().max(512),
  value: z.unknown(),
  status: z.string().max(32).nullable(),
  figures: z
    .object({
      connection: count,
      iceRestarts: count,
      maxIceRestarts: count,
      reconnects: count,
      bufferedCandidates: count,
      generation: z.number().int(),
      remotePresent: z.boolean(),
      error: z.object({ code: z.string().max(256), message: z.string().max(4096) }).nullable(),
    })
    .optional(),
  generation: z.number().int().optional(),
});

const errorLine = z.object({
  t: z.number().finite().min(0),
  system: id,
  type: z.literal('peerstate.error'),
  peer: id.nullable(),
  code: z.string().min(1).max(256),
  message: z.string().max(4096),
});

/** An error line as the recorder writes it (its type third): an event's payload cannot pass for one. */
const ERROR_LINE = /^\{"t":[0-9.]+,"system":"(?:[^"\\]|\\.)*","type":"peerstate\.error"/;

const SIGNALING_STATES = ['disconnected', 'connecting', 'open', 'reconnecting', 'closed'] as const;

/** One kept change, at `t` ms since the recording started. */
type Frame = { t: number; system: string } & (
  | { kind: 'peer'; peer: string; value: unknown; figures: ChartFigures }
  | { kind: 'signaling'; state: SignalingState }
  | { kind: 'root'; generation: number; running: boolean }
);

/** What a recording holds for the page. */
export interface Recording {
  frames: Frame[];
  /** Every transition and error, in time order. */
  timeline: TimelineEntry[];
  /** Time of the last line, in ms since the recording started. */
  durationMs: number;
  /** Lines skipped because they did not parse or named unknown states. */
  invalidLines: number;
  /** True when more than `MAX_FRAMES` changes and errors were recorded: the replay ends early. */
  truncated: boolean;
}

/** Whether a value is a state value (a string, or an object of state values with at least one key). */
function isStateValue(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > 16) return false;
  const children = Object.values(value);
  return children.length > 0 && children.every((child) => isStateValue(child, depth + 1));
}

/** Whether a value is a state value whose every state exists in the peer chart. */
function isPeerValue(value: unknown): boolean {
  const graph = chartGraph(peerMachine);
  return isStateValue(value) && activeStateIds(value).every((stateId) => graph.byId.has(stateId));
}

/** Reads a recording (JSON lines, see src/node/inspection-recorder.ts). Rejects if the file cannot be read. */
export async function readRecording(path: string): Promise<Recording> {
  const recording: Recording = { frames: [], timeline: [], durationMs: 0, invalidLines: 0, truncated: false };
  const last = new Map<string, string>();
  const values = new Map<string, unknown>();
  let errors = 0;
  const full = () => recording.frames.length + errors >= MAX_FRAMES;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    // Cheap filters first: most lines of a busy run are events and actions, not snapshots.
    const t = /^\{"t":([0-9.]+)/.exec(line)?.[1];
    if (t !== undefined) recording.durationMs = Math.max(recording.durationMs, Number(t));
    if (recording.truncated) continue;
    if (ERROR_LINE.test(line)) {
      const parsed = errorLine.safeParse(parseJson(line));
      if (!parsed.success) recording.invalidLines++;
      else if (full()) recording.truncated = true;
      else {
        const { type: _type, ...error } = parsed.data;
        recording.timeline.push({ kind: 'error', ...error });
        errors++;
      }
      continue;
    }
    if (!line.includes('"@xstate.snapshot"')) continue;
    let parsed: z.infer<typeof snapshotLine>;
    try {
      parsed = snapshotLine.parse(JSON.parse(line));
    } catch {
      recording.invalidLines++;
      continue;
    }
    const frame = frameOf(parsed);
    if (frame === undefined) continue;
    if (frame === null) {
      recording.invalidLines++;
      continue;
    }
    const actorKey = `${parsed.system}/${parsed.systemId}`;
    const { t: _t, ...content } = frame;
    const signature = JSON.stringify(content);
    if (last.get(actorKey) === signature) continue;
    last.set(actorKey, signature);
    if (frame.kind === 'peer') {
      const before = values.get(actorKey);
      if (before !== undefined && !sameValue(before, frame.value)) {
        recording.timeline.push(
          transitionEntry(frame.t, frame.system, frame.peer, before, frame.value, parsed.event),
        );
      }
      values.set(actorKey, frame.value);
    }
    if (full()) recording.truncated = true;
    else recording.frames.push(frame);
  }
  return recording;
}

/** The frame of a snapshot line; undefined for actors the page does not show, null for an invalid one. */
function frameOf(line: z.infer<typeof snapshotLine>): Frame | null | undefined {
  const { t, system, systemId } = line;
  if (systemId?.startsWith('peer:')) {
    if (!line.figures || !isPeerValue(line.value)) return null;
    const peer = systemId.slice('peer:'.length);
    return { t, system, kind: 'peer', peer, value: line.value, figures: line.figures };
  }
  if (systemId === 'signaling') {
    const state = SIGNALING_STATES.find((s) => s === line.value);
    return state ? { t, system, kind: 'signaling', state } : null;
  }
  if (systemId === 'system') {
    if (line.generation === undefined) return null;
    return { t, system, kind: 'root', generation: line.generation, running: line.status === 'active' };
  }
  return undefined;
}

/** Every system's and peer's view at `t`, and the newest timeline entries up to it. */
export function stateAt(recording: Recording, t: number): FeedChanges {
  const systems = new Map<string, SystemView>();
  const peers = new Map<string, { system: string; peer: string; value: unknown; figures: ChartFigures }>();
  const systemOf = (id: string): SystemView => {
    let view = systems.get(id);
    if (!view) {
      view = { id, signaling: 'disconnected', generation: -1, running: true };
      systems.set(id, view);
    }
    return view;
  };
  for (const frame of recording.frames) {
    if (frame.t > t) break;
    const system = systemOf(frame.system);
    if (frame.kind === 'signaling') system.signaling = frame.state;
    else if (frame.kind === 'root') {
      system.generation = frame.generation;
      system.running = frame.running;
    } else peers.set(`${frame.system}>${frame.peer}`, frame);
  }
  const peerViews: PeerView[] = [...peers.values()].map((p) =>
    peerViewOf(
      p.system,
      p.peer,
      { value: p.value, context: p.figures },
      null,
      systems.get(p.system)?.signaling ?? null,
    ),
  );
  const upTo = recording.timeline.filter((entry) => entry.t <= t);
  return {
    t,
    removed: [],
    systems: [...systems.values()],
    peers: peerViews,
    timeline: upTo.slice(-TIMELINE_LIMIT),
  };
}

/** A replay being served. */
export interface Replay extends PageServer {
  /** What was read from the file. */
  readonly recording: Recording;
}

/**
 * Serves the inspector page over the recording at `path` (127.0.0.1, a free port unless given). A page
 * starts at the end of the recording.
 * @throws (rejects) if the file cannot be read or the port cannot be bound.
 */
export async function startReplay(path: string, options: PageServerOptions = {}): Promise<Replay> {
  const recording = await readRecording(path);
  const page = await servePage(
    {
      hello: () => ({ type: 'hello', mode: 'replay', durationMs: recording.durationMs }),
      open(channel) {
        channel.push(stateAt(recording, recording.durationMs));
        return () => {};
      },
      receive(channel, message) {
        const t = Math.min(message.t, recording.durationMs);
        channel.clear();
        channel.sendControl({ type: 'reset', t });
        channel.push(stateAt(recording, t));
      },
    },
    options,
  );
  return { url: page.url, recording, close: () => page.close() };
}
