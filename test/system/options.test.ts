import { describe, expect, it, vi } from 'vitest';
import type { PeerSystemOptions } from '../../src/options.js';
import { DEFAULTS, resolveOptions } from '../../src/options.js';

const required = {
  localId: 'alice',
  url: 'ws://example.invalid',
  rtc: {} as PeerSystemOptions['rtc'],
  WebSocket: {} as PeerSystemOptions['WebSocket'],
};

/** The waits a policy gives for attempts 1..n with Math.random fixed at 0.5: half of each bound. */
function boundsOf(policy: { nextDelayMs(attempt: number): number | null }, n: number) {
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  try {
    return Array.from({ length: n }, (_, i) => policy.nextDelayMs(i + 1));
  } finally {
    vi.restoreAllMocks();
  }
}

describe('resolveOptions', () => {
  it('takes one signaling URL or a failover list: the first is where signaling starts', () => {
    expect(resolveOptions(required)).toMatchObject({ url: required.url, urls: [required.url] });
    const urls = ['ws://a.invalid', 'ws://b.invalid'];
    expect(resolveOptions({ ...required, url: urls })).toMatchObject({ url: 'ws://a.invalid', urls });
    expect(() => resolveOptions({ ...required, url: [] })).toThrow(RangeError);
  });

  it('refuses a peer bound that is not an integer ≥ 1 (NaN would lift it silently)', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => resolveOptions({ ...required, maxPeers: bad })).toThrow(RangeError);
      expect(() => resolveOptions({ ...required, maxPendingIncoming: bad })).toThrow(RangeError);
      expect(() => resolveOptions({ ...required, maxConcurrentNegotiations: bad })).toThrow(RangeError);
    }
    expect(
      resolveOptions({ ...required, maxPeers: 1, maxPendingIncoming: 1, maxConcurrentNegotiations: 1 }),
    ).toMatchObject({ maxPeers: 1, maxPendingIncoming: 1, maxConcurrentNegotiations: 1 });
  });

  it('applies every default of the table', () => {
    const resolved = resolveOptions(required);
    expect(resolved).toMatchObject({
      room: DEFAULTS.room,
      iceServers: [],
      connectTimeoutMs: 15_000,
      maxIceRestarts: 8,
      maxReconnects: Number.POSITIVE_INFINITY,
      disconnectedGraceMs: 2_000,
      iceRestartIntervalMs: 3_000,
      resumeTimeoutMs: 1_000,
      heartbeatIntervalMs: 500,
      heartbeatMisses: 3,
      operationTimeoutMs: 10_000,
      maxBufferedCandidates: 256,
      maxMessageBytes: 16 * 1024 * 1024,
      outbox: { maxMessages: 10_000, maxBytes: 16 * 1024 * 1024 },
      highWaterMark: 4 * 1024 * 1024,
      lowWaterMark: 1024 * 1024,
      pollIntervalMs: 2,
    });
    expect(resolved.accept('anyone')).toBe(true);
    expect(resolved.inspect).toBeUndefined();
  });

  it('keeps what the user gave, also half of a nested option', () => {
    const resolved = resolveOptions({
      ...required,
      room: 'r',
      outbox: { maxMessages: 3 },
      heartbeatMisses: 0,
    });
    expect(resolved.room).toBe('r');
    expect(resolved.outbox).toEqual({ maxMessages: 3, maxBytes: 16 * 1024 * 1024 });
    expect(resolved.heartbeatMisses).toBe(0);
  });

  it('gives each system its own iceServers array', () => {
    const a = resolveOptions(required);
    a.iceServers.push({ urls: 'stun:example.invalid' });
    expect(resolveOptions(required).iceServers).toEqual([]);
  });

  it('default peer policy: random · min(8000, 250 · 2^(n-1)) ms, never gives up unless maxReconnects says', () => {
    expect(boundsOf(resolveOptions(required).reconnectPolicy, 8)).toEqual([
      125, 250, 500, 1_000, 2_000, 4_000, 4_000, 4_000,
    ]);
    const custom = resolveOptions({ ...required, maxReconnects: 2, peerReconnectBackoff: { maxMs: 300 } });
    expect(boundsOf(custom.reconnectPolicy, 3)).toEqual([125, 150, null]);
  });

  it('default signaling policy: random · min(10000, 250 · 2^n) ms, as the signaling chart always waited; never gives up', () => {
    expect(boundsOf(resolveOptions(required).signalingReconnectPolicy, 7)).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
    const custom = resolveOptions({ ...required, reconnectBackoff: { initialMs: 10 } });
    expect(boundsOf(custom.signalingReconnectPolicy, 2)).toEqual([10, 20]);
    expect(custom.signalingReconnectPolicy.nextDelayMs(1_000)).not.toBeNull();
  });

  it('a policy the user gives replaces the default', () => {
    const reconnectPolicy = { nextDelayMs: (attempt: number) => attempt * 7 };
    const resolved = resolveOptions({ ...required, reconnectPolicy, peerReconnectBackoff: { initialMs: 1 } });
    expect(resolved.reconnectPolicy).toBe(reconnectPolicy);
    const signaling = resolveOptions({ ...required, signalingReconnectPolicy: { nextDelayMs: (n) => n } });
    expect(signaling.signalingReconnectPolicy.nextDelayMs(3)).toBe(3);
  });

  it('the signaling session never gives up, even with a policy that does: the last wait repeats', () => {
    const resolved = resolveOptions({
      ...required,
      signalingReconnectPolicy: { nextDelayMs: (attempt) => (attempt <= 2 ? attempt * 100 : null) },
    });
    expect([1, 2, 3, 4].map((n) => resolved.signalingReconnectPolicy.nextDelayMs(n))).toEqual([
      100, 200, 200, 200,
    ]);
  });
});
