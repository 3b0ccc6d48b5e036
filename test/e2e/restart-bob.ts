/**
 * The remote of test/e2e/remote-restart.test.ts, run in its own process (node with tsx) so that the
 * test can SIGKILL it: a peer system on @roamhq/wrtc, id `bob`, that connects to alice and writes one
 * JSON line to stdout per event: `{"ready":true}` once started, `{"connected":true}` when its peer is
 * connected, `{"message":"…"}` per message delivered. It sends nothing. Usage:
 * `node --import tsx test/e2e/restart-bob.ts <signaling url> <room>`.
 */
import { createNodePeerSystem } from '../../src/node/index.js';

const [url, room] = process.argv.slice(2);
if (!url || !room) throw new Error('usage: restart-bob.ts <signaling url> <room>');

/** One line per event; a write to a pipe is synchronous on Linux, so a line delivered is never lost to SIGKILL. */
const emit = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const system = createNodePeerSystem({
  localId: 'bob',
  url,
  room,
  maxIceRestarts: 0,
  // As alice's in remote-restart.test.ts: loose enough that a loaded machine's stalls cut no live link.
  heartbeatIntervalMs: 500,
  heartbeatMisses: 4,
  maxReconnects: 1_000,
  peerReconnectBackoff: { initialMs: 50, maxMs: 200 },
});
system.messages$.subscribe((m) => emit({ message: typeof m.data === 'string' ? m.data : '<bytes>' }));
system.errors$.subscribe((e) => emit({ error: `${e.code}: ${e.message}` }));
const toAlice = system.connect('alice');
toAlice.state$.subscribe((state) => {
  if (state === 'connected') emit({ connected: true });
});
emit({ ready: true });

// A polite end when the parent closes stdin (the test's cleanup kills it anyway).
process.stdin.resume();
process.stdin.on('end', () => {
  void system.stop().then(() => process.exit(0));
});
