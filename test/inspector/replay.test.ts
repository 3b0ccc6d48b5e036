/** Reading a recording for replay: hostile or foreign lines are skipped and counted, never trusted. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { readRecording, stateAt } from '../../src/node/inspector/replay.js';

let folder: string | undefined;

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
  folder = await mkdtemp(path.join(tmpdir(), 'peerstate-recording-'));
  const file = path.join(folder, 'run.jsonl');
  const lines = [
    peer(1, { idle: 'disconnected' }),
    peer(2, { idle: 'disconnected' }), // no change: not kept
    '{"t":3,"type":"@xstate.snapshot", broken',
    peer(4, { idle: { PROTO: 'x' } }).replace('PROTO', '__proto__'),
    peer(4.5, { idle: {} }),
    peer(5, { nowhere: 'at all' }),
    peer(6, { live: { connected: 'stable' } }, { figures: { ...figures, connection: -1 } }),
    peer(7, { live: { connected: 'stable' } }),
    '{"t":9,"system":"a","type":"@xstate.event","actor":"1"}',
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  const recording = await readRecording(file);
  expect(recording.frames.map((f) => f.t)).toEqual([1, 7]);
  expect(recording.invalidLines).toBe(5);
  expect(recording.durationMs).toBe(9);
  expect(recording.timeline).toMatchObject([{ t: 7, fromState: 'disconnected', toState: 'connected' }]);
  expect(stateAt(recording, 5).peers.map((p) => p.state)).toEqual(['disconnected']);
  expect(stateAt(recording, 9).peers.map((p) => p.state)).toEqual(['connected']);
});
