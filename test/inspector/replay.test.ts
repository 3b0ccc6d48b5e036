/** Reading a recording for replay: hostile or foreign lines are skipped and counted, never trusted. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createInspectionRecorder } from '../../src/node/inspection-recorder.js';
import { readRecording, stateAt } from '../../src/node/inspector/replay.js';
import { fakeSystem } from '../support/fake-system.js';

let folder: string | undefined;

/** A fresh file for a recording, removed after the test. */
async function recordingFile(): Promise<string> {
  folder = await mkdtemp(path.join(tmpdir(), 'peerstate-recording-'));
  return path.join(folder, 'run.jsonl');
}

/** Writes `lines` as a recording and reads it. */
async function readLines(lines: string[]) {
  const file = await recordingFile();
  await writeFile(file, `${lines.join('\n')}\n`);
  return readRecording(file);
}

afterEach(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

const figures = {
  connection: 1,
  iceRestarts: 0,
  maxIceRestarts: 8,
  reconnects: 0,
  bufferedCandidates: 0,
  generation: 1,
  remotePresent: true,
  error: null,
};
const peer = (t: number, value: unknown, extra: object = {}) =>
  JSON.stringify({
    t,
    system: 'a',
    type: '@xstate.snapshot',
    actor: '1',
    systemId: 'peer:b',
    event: 'X',
    value,
    status: 'active',
    figures,
    ...extra,
  });

it('keeps valid state changes and skips lines that do not parse, name unknown states or carry bad figures', async () => {
  const recording = await readLines([
    peer(1, { idle: 'disconnected' }),
    peer(2, { idle: 'disconnected' }), // no change: not kept
    '{"t":3,"type":"@xstate.snapshot", broken',
    peer(4, { idle: { PROTO: 'x' } }).replace('PROTO', '__proto__'),
    peer(4.5, { idle: {} }),
    peer(5, { nowhere: 'at all' }),
    peer(6, { live: { connected: 'stable' } }, { figures: { ...figures, connection: -1 } }),
    peer(7, { live: { connected: 'stable' } }),
    '{"t":9,"system":"a","type":"@xstate.event","actor":"1"}',
  ]);
  expect(recording.frames.map((f) => f.t)).toEqual([1, 7]);
  expect(recording.invalidLines).toBe(5);
  expect(recording.durationMs).toBe(9);
  expect(recording.timeline).toMatchObject([{ t: 7, fromState: 'disconnected', toState: 'connected' }]);
  expect(stateAt(recording, 5).peers.map((p) => p.state)).toEqual(['disconnected']);
  expect(stateAt(recording, 9).peers.map((p) => p.state)).toEqual(['connected']);
});

const error = (t: number, extra: object = {}) =>
  JSON.stringify({
    t,
    system: 'a',
    type: 'peerstate.error',
    peer: 'b',
    code: 'send-failed',
    message: 'm',
    ...extra,
  });

it('puts recorded errors on the timeline in time order, and skips error lines that are not well formed', async () => {
  const recording = await readLines([
    peer(1, { idle: 'disconnected' }),
    error(2),
    error(3, { peer: null, code: 'signaling-dropped' }),
    error(4, { message: 'x'.repeat(5_000) }),
    error(4.5, { peer: 7 }),
    error(4.7, { code: '' }),
    // An event whose payload names the error type is an event, not an error line.
    JSON.stringify({
      t: 5,
      system: 'a',
      type: '@xstate.event',
      actor: '1',
      event: { type: 'peerstate.error' },
    }),
    peer(6, { live: { connected: 'stable' } }),
  ]);
  expect(recording.invalidLines).toBe(3);
  expect(recording.timeline.map((e) => [e.kind, e.t])).toEqual([
    ['error', 2],
    ['error', 3],
    ['transition', 6],
  ]);
  expect(recording.timeline[1]).toEqual({
    kind: 'error',
    t: 3,
    system: 'a',
    peer: null,
    code: 'signaling-dropped',
    message: 'm',
  });
  expect(stateAt(recording, 2.5).timeline).toMatchObject([{ kind: 'error', peer: 'b', code: 'send-failed' }]);
});

it('a recording made beside a system carries its errors (errors$) to the replay', async () => {
  const file = await recordingFile();
  const recorder = createInspectionRecorder(file);
  const system = fakeSystem({ inspect: recorder.inspectorFor('alice') });
  system.errors$.subscribe((e) => recorder.recordError('alice', e));
  // A message that can never be delivered: the peer closes first, and says so on errors$.
  const bob = system.connect('bob');
  bob.send('never delivered');
  bob.close();
  await system.stop();
  await recorder.close();
  const recording = await readRecording(file);
  expect(recording.invalidLines).toBe(0);
  const errors = recording.timeline.filter((e) => e.kind === 'error');
  expect(errors).toMatchObject([{ system: 'alice', peer: 'bob', code: 'undelivered' }]);
  const closed = recording.timeline.findIndex((e) => e.kind === 'transition' && e.toState === 'closed');
  expect(closed).toBeGreaterThanOrEqual(0);
  expect(stateAt(recording, recording.durationMs).timeline.filter((e) => e.kind === 'error')).toHaveLength(1);
});
