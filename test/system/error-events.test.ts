import { describe, expect, it } from 'vitest';
import { errorOfEvent, reportErrorEvents } from '../../src/error-events.js';
import type { PeerstateError } from '../../src/errors.js';

const summary = (error: PeerstateError | undefined) =>
  error && { code: error.code, message: error.message, peerId: error.peerId };

describe('errorOfEvent', () => {
  it.each([
    [
      { type: 'staleSignal', from: 'bob', generation: 1, currentGeneration: 2 },
      { code: 'signaling-dropped', message: 'signal from bob of stale session 1 dropped', peerId: 'bob' },
    ],
    [
      { type: 'refusedPeer', peerId: 'mallory', reason: 'not-accepted' },
      { code: 'peer-refused', message: 'peer mallory refused: the accept policy said no', peerId: 'mallory' },
    ],
    [
      { type: 'refusedPeer', peerId: 'mallory', reason: 'max-pending-incoming' },
      {
        code: 'peer-refused',
        message: 'peer mallory refused: maxPendingIncoming peers already wait to connect',
        peerId: 'mallory',
      },
    ],
    [
      { type: 'serverError', code: 'rate-limited', message: 'slow down' },
      { code: 'signaling-server-error', message: 'rate-limited: slow down', peerId: undefined },
    ],
    [
      { type: 'signalDropped', to: 'carol', generation: 1, currentGeneration: 2 },
      {
        code: 'signaling-dropped',
        message: 'signal to carol of session 1 dropped (current session 2)',
        peerId: 'carol',
      },
    ],
    [
      { type: 'invalidFrame', generation: 1, reason: 'bad json' },
      {
        code: 'signaling-invalid-frame',
        message: 'invalid frame from the server: bad json',
        peerId: undefined,
      },
    ],
    [
      { type: 'failure', remoteId: 'bob', code: 'ice-failed', message: 'ICE failed' },
      { code: 'connection-failed', message: 'ice-failed: ICE failed', peerId: 'bob' },
    ],
    [
      { type: 'sendFailure', remoteId: 'bob', message: 'channel closed' },
      { code: 'send-failed', message: 'send to bob failed: channel closed', peerId: 'bob' },
    ],
    [
      { type: 'candidateOverflow', remoteId: 'bob', dropped: null },
      {
        code: 'candidate-overflow',
        message: 'remote candidate buffer of bob is full; newest dropped',
        peerId: 'bob',
      },
    ],
  ])('%o becomes the error it always was', (event, expected) => {
    expect(summary(errorOfEvent(event))).toEqual(expected);
  });

  it('events that report no failure map to nothing', () => {
    for (const type of ['peerSpawned', 'ignoredOffer', 'staleCandidate', 'toString', 'constructor']) {
      expect(errorOfEvent({ type })).toBeUndefined();
    }
  });
});

describe('reportErrorEvents', () => {
  it('reports through one listener until unsubscribed', () => {
    let handler: ((event: { type: string }) => void) | undefined;
    const actor = {
      on: (type: string, h: (event: { type: string }) => void) => {
        expect(type).toBe('*');
        handler = h;
        return { unsubscribe: () => (handler = undefined) };
      },
    };
    const reported: string[] = [];
    const sub = reportErrorEvents(actor as never, (error) => reported.push(error.code));
    handler?.({ type: 'refusedPeer', peerId: 'x', reason: 'max-peers' } as never);
    handler?.({ type: 'peerSpawned' });
    sub.unsubscribe();
    expect(reported).toEqual(['peer-refused']);
    expect(handler).toBeUndefined();
  });
});
