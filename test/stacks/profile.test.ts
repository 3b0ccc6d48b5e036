/**
 * The RTC profile (src/rtc/profile.ts) as the system reads it: what an `rtc` option leaves out comes
 * from the browser profile, and the profile sets the defaults the stack needs (heartbeat, water
 * marks, no ICE restarts where they do not restore data flow). Whether each declared profile is true
 * of its stack is measured in test/e2e/stack-profiles.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RtcImplementation } from '../../src/index.js';
import {
  BROWSER_PROFILE,
  NODE_DATACHANNEL_PROFILE,
  profileOf,
  WERIFT_PROFILE,
  WRTC_PROFILE,
} from '../../src/index.js';
import { wrtcImplementation } from '../../src/node/index.js';
import { loadNodeDatachannel, loadWerift } from '../../src/node/optional-stacks.js';
import { resolveOptions } from '../../src/options.js';

const base = { localId: 'alice', url: 'ws://example.invalid', WebSocket: {} as never };
const stack = (profile: Partial<RtcImplementation>): RtcImplementation => ({
  name: 'test',
  RTCPeerConnection: class {} as never,
  ...profile,
});

describe('RTC profiles', () => {
  it('an rtc that declares nothing is a webrtc-pc stack; what it declares wins', () => {
    expect(profileOf(stack({}))).toEqual(BROWSER_PROFILE);
    expect(profileOf(stack({ hasBufferedAmountLow: false }))).toEqual({
      ...BROWSER_PROFILE,
      hasBufferedAmountLow: false,
    });
  });

  it('each loader declares its whole profile', async () => {
    expect(profileOf(wrtcImplementation)).toEqual(WRTC_PROFILE);
    expect(profileOf(await loadWerift())).toEqual(WERIFT_PROFILE);
    expect(profileOf(await loadNodeDatachannel())).toEqual(NODE_DATACHANNEL_PROFILE);
  });

  it('the heartbeat and the water marks default to the profile; options override them', () => {
    const rtc = stack(WERIFT_PROFILE);
    expect(resolveOptions({ ...base, rtc })).toMatchObject({
      heartbeatIntervalMs: 1_000,
      heartbeatMisses: 10,
      highWaterMark: 4_096,
      lowWaterMark: 1_024,
    });
    expect(resolveOptions({ ...base, rtc: stack({}) })).toMatchObject({
      heartbeatIntervalMs: 500,
      heartbeatMisses: 3,
      highWaterMark: 4 * 1024 * 1024,
      lowWaterMark: 1024 * 1024,
    });
    expect(
      resolveOptions({ ...base, rtc, heartbeatIntervalMs: 200, heartbeatMisses: 2, highWaterMark: 9 }),
    ).toMatchObject({ heartbeatIntervalMs: 200, heartbeatMisses: 2, highWaterMark: 9 });
  });

  it('no ICE restarts where a restart does not restore data flow, whatever maxIceRestarts says', () => {
    const cannot = stack({ iceRestartRestoresDataFlow: false });
    expect(resolveOptions({ ...base, rtc: cannot }).maxIceRestarts).toBe(0);
    expect(resolveOptions({ ...base, rtc: cannot, maxIceRestarts: 5 }).maxIceRestarts).toBe(0);
    expect(resolveOptions({ ...base, rtc: stack({}) }).maxIceRestarts).toBe(8);
    expect(resolveOptions({ ...base, rtc: stack({}), maxIceRestarts: 5 }).maxIceRestarts).toBe(5);
  });
});
