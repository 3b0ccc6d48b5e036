/**
 * RR-3 on the real stack: alice (in this process) streams 1,000 messages to bob, whose process
 * (test/e2e/restart-bob.ts, node with tsx) is SIGKILLed and started again twice with the same peer
 * id. Everything runs on 127.0.0.1 through the embedded signaling server. Each new bob is a new peer
 * actor numbering from 1: alice must renumber what she still holds and send it on the new channel.
 *
 * What can be guaranteed: nothing is lost; each bob receives a run of consecutive messages, in
 * order, without gaps or duplicates; the next bob starts no later than right after the last message
 * its predecessor delivered. A message a killed bob delivered but had not yet acknowledged is sent to
 * the next bob too (counted as `redelivered`): the total received is at least 1,000.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerSystem } from '../../src/index.js';
import { OutboxFullError } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { sleep, until } from '../support/time.js';

const TOTAL = 1_000;
const script = fileURLToPath(new URL('./restart-bob.ts', import.meta.url));

const children: ChildProcessWithoutNullStreams[] = [];
const servers: SignalingServer[] = [];
const systems: PeerSystem[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(systems.splice(0).map((s) => s.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** One bob process and what it reported, parsed from its JSON lines. */
interface Bob {
  child: ChildProcessWithoutNullStreams;
  received: number[];
  connected: boolean;
  errors: string[];
  exited: Promise<void>;
}

function startBob(url: string, room: string): Bob {
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, room], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const bob: Bob = {
    child,
    received: [],
    connected: false,
    errors: [],
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      const event = JSON.parse(line) as { message?: string; connected?: boolean; error?: string };
      if (event.message !== undefined) bob.received.push(Number.parseInt(event.message, 10));
      if (event.connected) bob.connected = true;
      if (event.error) bob.errors.push(event.error);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => bob.errors.push(`stderr: ${chunk.trim()}`));
  return bob;
}

/** SIGKILLs a bob and waits until its process is gone (its pipe is drained by then). */
async function kill(bob: Bob): Promise<void> {
  bob.child.kill('SIGKILL');
  await bob.exited;
}

describe('a remote process that restarts with the same peer id (real stack)', () => {
  it("RR-3 bob's process is killed and started again twice while alice streams 1,000 messages: nothing lost, each bob in order without gaps or duplicates", async () => {
    const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
    servers.push(server);
    const room = 'rr-3';
    const alice = createNodePeerSystem({
      localId: 'alice',
      url: server.url,
      room,
      maxIceRestarts: 0,
      // A kill is seen within 2 s; a shorter bound would also cut live links whenever a loaded
      // machine stalls the event loop, and the test would measure the load.
      heartbeatIntervalMs: 500,
      heartbeatMisses: 4,
      maxReconnects: 1_000,
      peerReconnectBackoff: { initialMs: 50, maxMs: 200 },
    });
    systems.push(alice);
    const aliceErrors: string[] = [];
    alice.errors$.subscribe((e) => aliceErrors.push(`${e.code}: ${e.message}`));
    const toBob = alice.connect('bob');

    const bobs: Bob[] = [startBob(server.url, room)];
    const current = () => bobs.at(-1) as Bob;
    const status = () =>
      `alice ${toBob.state}, sent ${sent}, bobs ${bobs.map((b) => `${b.received.length}${b.connected ? '' : ' (not connected)'}`).join('/')}; ${[...aliceErrors, ...bobs.flatMap((b) => b.errors)].slice(-5).join('; ')}`;
    let sent = 0;
    expect(await until(() => current().connected && toBob.state === 'connected', 60_000), status()).toBe(
      true,
    );

    // Streams in the background: 2 messages every 10 ms, waiting for room when the outbox is full. The
    // last 100 wait until the second bob was killed, so that the third one has something to receive
    // however long a process takes to start.
    let streaming = true;
    let restarts = 0;
    const stream = (async () => {
      while (streaming && sent < TOTAL) {
        if (sent >= TOTAL - 100 && restarts < 2) {
          await sleep(10);
          continue;
        }
        for (let i = 0; i < 2 && sent < TOTAL; i++) {
          try {
            toBob.send(String(sent));
            sent++;
          } catch (error) {
            if (!(error instanceof OutboxFullError)) throw error;
            await toBob.writable();
          }
        }
        await sleep(10);
      }
    })();

    // Two restarts: each bob is killed once it has received some messages, and a new one starts.
    const sentAtKills: number[] = [];
    for (const threshold of [200, 100]) {
      expect(await until(() => current().received.length >= threshold, 60_000), status()).toBe(true);
      sentAtKills.push(sent);
      await kill(current());
      restarts++;
      bobs.push(startBob(server.url, room));
      expect(await until(() => current().connected, 60_000), status()).toBe(true);
    }
    const all = () => new Set(bobs.flatMap((b) => b.received));
    expect(await until(() => sent === TOTAL && all().size === TOTAL, 90_000), status()).toBe(true);
    await stream;
    streaming = false;
    let flushed = false;
    void toBob.flushed().then(() => {
      flushed = true;
    });
    expect(await until(() => flushed, 30_000), `flushed: ${status()}`).toBe(true);
    // A late duplicate would show up here.
    await sleep(200);

    const received = bobs.map((b) => b.received.length);
    const total = received.reduce((a, b) => a + b, 0);
    let duplicated = 0;
    let reordered = 0;
    for (const bob of bobs) {
      const seen = new Set<number>();
      bob.received.forEach((n, i) => {
        if (seen.has(n)) duplicated++;
        else if (i > 0 && n !== (bob.received[i - 1] as number) + 1) reordered++;
        seen.add(n);
      });
    }
    // Delivered by a killed bob and again by its successor: the killed one had not acknowledged them.
    const redelivered = bobs.slice(1).reduce((sum, bob, i) => {
      const before = new Set((bobs[i] as Bob).received);
      return sum + bob.received.filter((n) => before.has(n)).length;
    }, 0);
    const lost = TOTAL - all().size;
    const counts = { sent, sentAtKills, received, total, lost, duplicated, reordered, redelivered };
    console.log(`remote-restart e2e: ${JSON.stringify(counts)}`);

    expect(sent).toBe(TOTAL);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(reordered).toBe(0);
    expect(total).toBeGreaterThanOrEqual(TOTAL);
    expect(bobs).toHaveLength(3);
    for (const [i, bob] of bobs.entries()) {
      expect(bob.received.length, `bob ${i + 1} received nothing`).toBeGreaterThan(0);
      // Each bob continues where the previous one stopped (no gap between them) or earlier (redelivered).
      const first = bob.received[0] as number;
      const previousLast = i === 0 ? -1 : ((bobs[i - 1] as Bob).received.at(-1) as number);
      expect(first).toBeLessThanOrEqual(previousLast + 1);
    }
    expect(current().received.at(-1)).toBe(TOTAL - 1);
    expect(toBob.state).toBe('connected');
    expect(aliceErrors.filter((e) => /undelivered|invalid-frame/.test(e))).toEqual([]);
    expect(bobs.flatMap((b) => b.errors).filter((e) => /invalid-frame/.test(e))).toEqual([]);
  }, 400_000);
});
