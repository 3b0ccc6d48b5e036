/**
 * An endpoint: one peer system on one stack, driven from Node through one interface whether it runs
 * in this process (wrtc, or any `RtcImplementation`) or in a browser page. Tests and the interop
 * matrix are written once against it.
 */
import type { RtcImplementation } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import type { EndpointOptions } from './endpoint-options.js';
import type { PageHarness } from './page-entry.js';
import { type Batch, type PeerReport, SystemRecorder } from './recorder.js';

export type { EndpointOptions };

/** One peer system on one stack. Every method may reject if the stack's process or page is gone. */
export interface Endpoint {
  /** The stack's name, e.g. `wrtc`, `chromium`. */
  readonly stack: string;
  readonly localId: string;
  connect(remoteId: string): Promise<void>;
  send(remoteId: string, batch: Batch): Promise<void>;
  /** What the peer saw so far; `null` if the system knows no such peer yet. */
  report(remoteId: string): Promise<PeerReport | null>;
  /** The system's errors as `code: message`, the last 100. */
  errors(): Promise<string[]>;
  restartIce(remoteId: string): Promise<void>;
  /** Resolves when everything sent to the peer was acknowledged. */
  flushed(remoteId: string): Promise<void>;
  /** Stops the system (a goodbye to every peer). */
  stop(): Promise<void>;
}

/** An endpoint in this process on `rtc` (default @roamhq/wrtc). */
export function nodeEndpoint(options: EndpointOptions, rtc?: RtcImplementation): Endpoint {
  const system = createNodePeerSystem(rtc ? { ...options, rtc } : options);
  const recorder = new SystemRecorder(system);
  return {
    stack: rtc?.name ?? 'wrtc',
    localId: options.localId,
    connect: async (remoteId) => recorder.connect(remoteId),
    send: async (remoteId, batch) => recorder.send(remoteId, batch),
    report: async (remoteId) => recorder.report(remoteId),
    errors: async () => [...recorder.errors],
    restartIce: async (remoteId) => recorder.restartIce(remoteId),
    flushed: (remoteId) => recorder.flushed(remoteId),
    stop: () => system.stop(),
  };
}

/** The methods of an endpoint that a page or another process answers. */
export type RemoteMethod = 'connect' | 'send' | 'report' | 'errors' | 'restartIce' | 'flushed' | 'stop';

/** Calls one method of an endpoint elsewhere with plain-JSON arguments. */
export type EndpointCall = <K extends RemoteMethod>(
  method: K,
  args: Parameters<Endpoint[K]>,
) => ReturnType<Endpoint[K]>;

/** An endpoint whose every method is answered elsewhere, through `call`. */
export function remoteEndpoint(stack: string, localId: string, call: EndpointCall): Endpoint {
  return {
    stack,
    localId,
    connect: (remoteId) => call('connect', [remoteId]),
    send: (remoteId, batch) => call('send', [remoteId, batch]),
    report: (remoteId) => call('report', [remoteId]),
    errors: () => call('errors', []),
    restartIce: (remoteId) => call('restartIce', [remoteId]),
    flushed: (remoteId) => call('flushed', [remoteId]),
    stop: () => call('stop', []),
  };
}

/**
 * Calls one method of the page's harness with plain-JSON arguments, e.g. through playwright's
 * `page.evaluate`.
 */
export type HarnessCall = <K extends keyof PageHarness>(
  method: K,
  args: Parameters<PageHarness[K]>,
) => Promise<Awaited<ReturnType<PageHarness[K]>>>;

/** An endpoint in a browser page whose harness was loaded; starts its system with `options`. */
export async function pageEndpoint(
  stack: string,
  options: EndpointOptions,
  call: HarnessCall,
): Promise<Endpoint> {
  await call('start', [options]);
  return remoteEndpoint(stack, options.localId, call as EndpointCall);
}

/**
 * Polls the endpoint's report of `remoteId` every 50 ms until `condition` holds or `timeoutMs`
 * passed; resolves with the last report (check it) or `null` if there was none.
 */
export async function waitForReport(
  endpoint: Endpoint,
  remoteId: string,
  condition: (report: PeerReport) => boolean,
  timeoutMs: number,
): Promise<PeerReport | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await endpoint.report(remoteId);
    if ((report && condition(report)) || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
