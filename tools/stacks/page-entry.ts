/**
 * The script of the browser harness page: it imports the library from its own bundle
 * (`/peerstate.js`, the browser build of the root entry) and exposes one {@link PageHarness} as
 * `globalThis.peerstateHarness`, which Node drives (tools/stacks/endpoint.ts).
 */
import { createPeerSystem, type PeerSystem } from '../../src/index.js';
import type { EndpointOptions } from './endpoint-options.js';
import { type Batch, type PeerReport, SystemRecorder } from './recorder.js';

/** What a harness page offers; every argument and result is plain JSON. */
export interface PageHarness {
  /** Creates the page's peer system on the browser's own RTCPeerConnection and WebSocket. */
  start(options: EndpointOptions): void;
  connect(remoteId: string): void;
  send(remoteId: string, batch: Batch): void;
  report(remoteId: string): PeerReport | null;
  errors(): string[];
  restartIce(remoteId: string): void;
  flushed(remoteId: string): Promise<void>;
  stop(): Promise<void>;
}

let system: PeerSystem | undefined;
let recorder: SystemRecorder | undefined;

const started = (): SystemRecorder => {
  if (!recorder) throw new Error('peerstateHarness.start() was not called');
  return recorder;
};

const harness: PageHarness = {
  start(options) {
    if (system) throw new Error('peerstateHarness.start() was already called');
    system = createPeerSystem({
      ...options,
      rtc: { name: 'browser', RTCPeerConnection },
      WebSocket,
    });
    recorder = new SystemRecorder(system);
  },
  connect: (remoteId) => started().connect(remoteId),
  send: (remoteId, batch) => started().send(remoteId, batch),
  report: (remoteId) => started().report(remoteId),
  errors: () => [...started().errors],
  restartIce: (remoteId) => started().restartIce(remoteId),
  flushed: (remoteId) => started().flushed(remoteId),
  stop: () => system?.stop() ?? Promise.resolve(),
};

(globalThis as { peerstateHarness?: PageHarness }).peerstateHarness = harness;
