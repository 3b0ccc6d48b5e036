/**
 * The `cycles` benchmark: does a long-lived pair of systems leak? One pair of @roamhq/wrtc systems
 * through the embedded server on 127.0.0.1 runs `cycles` rounds of connect → send → the message
 * arrives → flushed() → close (and the remote's actor finishes too). The heap is measured after a
 * full garbage collection every `sampleEvery` cycles; the growth per cycle is the least-squares slope
 * over the samples after the warm-up (the first quarter), in bytes. rss is reported the same way.
 */
import { filter, firstValueFrom } from 'rxjs';
import { createNodePeerSystem } from '../src/node/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { within } from './deadline.js';
import { collector } from './gc.js';

/** Parameters of the cycles benchmark. */
export interface CyclesBenchOptions {
  /** Connect/send/flushed/close rounds (≥ 8). */
  cycles: number;
  /** Bound of every single wait, in ms. */
  timeoutMs: number;
}

/** What the benchmark measured. Sizes in bytes. */
export interface CyclesBenchResult {
  cycles: number;
  /** Heap growth per cycle after gc, after the warm-up (least-squares slope). */
  heapBytesPerCycle: number;
  /** rss growth per cycle, after the warm-up. */
  rssBytesPerCycle: number;
  /** (cycle, heapUsed, rss) after gc, every sample. */
  samples: { cycle: number; heapBytes: number; rssBytes: number }[];
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Runs the cycles; `progress` hears of each sample. */
export async function runCyclesBench(
  options: CyclesBenchOptions,
  progress: (line: string) => void,
): Promise<CyclesBenchResult> {
  if (!Number.isInteger(options.cycles) || options.cycles < 8)
    throw new RangeError('cycles must be an integer ≥ 8');
  const gc = collector();
  const sampleEvery = Math.max(1, Math.floor(options.cycles / 20));
  const server = await startSignalingServer();
  const alice = createNodePeerSystem({ localId: 'alice', url: server.url, room: 'cycles' });
  const bob = createNodePeerSystem({ localId: 'bob', url: server.url, room: 'cycles' });
  const samples: CyclesBenchResult['samples'] = [];
  try {
    await within(
      Promise.all([alice.signalingOpen(), bob.signalingOpen()]),
      options.timeoutMs,
      'signaling open',
    );
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const peer = alice.connect('bob');
      const arrived = firstValueFrom(bob.messages$.pipe(filter((m) => m.from === 'alice')));
      peer.send(`cycle ${cycle}`);
      await within(arrived, options.timeoutMs, `cycle ${cycle}: message`);
      await within(peer.flushed(), options.timeoutMs, `cycle ${cycle}: flushed`);
      peer.close();
      // bob's actor takes the bye (disconnected); closing it too leaves nothing of the cycle behind.
      const remote = bob.peer('alice');
      if (remote) {
        await within(
          firstValueFrom(remote.state$.pipe(filter((s) => s === 'disconnected' || s === 'closed'))),
          options.timeoutMs,
          `cycle ${cycle}: remote hung up`,
        );
        remote.close();
      }
      if (cycle % sampleEvery === 0) {
        // Let the closed pcs' native teardown finish before measuring.
        await new Promise((resolve) => setTimeout(resolve, 50));
        gc();
        gc();
        const { heapUsed, rss } = process.memoryUsage();
        samples.push({ cycle, heapBytes: heapUsed, rssBytes: rss });
        progress(
          `cycle ${cycle}: heap ${(heapUsed / 1024).toFixed(0)} KiB, rss ${(rss / 1024 ** 2).toFixed(1)} MiB`,
        );
      }
    }
  } finally {
    await Promise.all([alice.stop(), bob.stop()]);
    await server.close();
  }
  const afterWarmup = samples.filter((s) => s.cycle > options.cycles / 4);
  return {
    cycles: options.cycles,
    heapBytesPerCycle: slope(afterWarmup.map((s) => ({ x: s.cycle, y: s.heapBytes }))),
    rssBytesPerCycle: slope(afterWarmup.map((s) => ({ x: s.cycle, y: s.rssBytes }))),
    samples,
  };
}
