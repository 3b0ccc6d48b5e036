/**
 * Conformance of each Node stack's declared profile (src/rtc/profile.ts) with what the stack does:
 * every capability is measured on the real stack in this process (tools/stacks/capabilities.ts), so a
 * wrong declaration fails here. In the e2e stage: werift alone takes about 10 s (its measurement
 * waits out an ICE restart after which nothing flows).
 */
import { describe, expect, it } from 'vitest';
import type { RtcImplementation } from '../../src/index.js';
import { profileOf } from '../../src/index.js';
import { measureCapabilities } from '../../tools/stacks/capabilities.js';
import { NODE_STACKS, nodeStack } from '../../tools/stacks/node-stacks.js';

/** The declared values of the measured fields. */
function declared(rtc: RtcImplementation) {
  const profile = profileOf(rtc);
  return {
    implicitRollback: profile.implicitRollback,
    parameterlessSetLocalDescription: profile.parameterlessSetLocalDescription,
    iceRestartRestoresDataFlow: profile.iceRestartRestoresDataFlow,
    hasBufferedAmountLow: profile.hasBufferedAmountLow,
    maxMessageSize: profile.maxMessageSize,
  };
}

describe('each Node stack does what its profile declares (measured on the real stack)', () => {
  for (const name of NODE_STACKS) {
    it(`${name}`, { timeout: 120_000 }, async () => {
      const rtc = await nodeStack(name);
      const measured = await measureCapabilities(rtc);
      expect(measured).toEqual(declared(rtc));
    });
  }
});
