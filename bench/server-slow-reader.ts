/**
 * `npx tsx bench/server-slow-reader.ts [--server PATH] [--seconds N]`: the memory a slow reader makes
 * the signaling server hold. The server runs in a child process (started from PATH, a module that
 * exports `startSignalingServer`; default this tree's src/server/index.ts), so that its RSS is its
 * own. One client joins as `sink`, stops reading and sends an unsolicited pong every 100 ms; 20
 * accomplices relay the largest signals the protocol allows (48 KiB SDPs) to it as fast as the
 * server takes them, for N seconds (default 12). Prints the server's RSS before, its peak (VmHWM)
 * and after, in MB, and whether the sink was closed. Linux only (reads /proc).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';

const ACCOMPLICES = 20;
const SDP = 'a'.repeat(48 * 1024);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** The child: starts the server from `path` and prints its URL. */
async function serve(path: string): Promise<void> {
  const { startSignalingServer } = (await import(
    pathToFileURL(path).href
  )) as typeof import('../src/server/index.js');
  const server = await startSignalingServer({ log: () => {} });
  console.log(server.url);
}

/** `VmRSS` or `VmHWM` of a process, in MB. */
function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return Math.round(kB / 1024);
}

async function open(url: string, peerId: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  socket.on('error', () => {});
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const welcomed = new Promise((resolve) => socket.once('message', resolve));
  socket.send(JSON.stringify({ v: 1, type: 'join', room: 'bench', peerId }));
  await welcomed;
  return socket;
}

async function attack(): Promise<void> {
  const serverPath = arg('--server') ?? fileURLToPath(new URL('../src/server/index.ts', import.meta.url));
  const seconds = Number(arg('--seconds') ?? 12);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', serverPath],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pid = child.pid ?? 0;
  try {
    if (!child.stdout) throw new Error('the server process has no stdout');
    const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    const url = String(first.value);
    const sink = await open(url, 'sink');
    let sinkClosed = false;
    sink.on('close', () => {
      sinkClosed = true;
    });
    const accomplices = await Promise.all(
      Array.from({ length: ACCOMPLICES }, (_, i) => open(url, `accomplice${i}`)),
    );
    // Let the accomplices' welcomes and presence settle before the baseline.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = memoryOf(pid, 'VmRSS');
    sink.pause();
    const pongs = setInterval(() => sink.readyState === WebSocket.OPEN && sink.pong(), 100);
    const frame = JSON.stringify({
      v: 1,
      type: 'signal',
      to: 'sink',
      signal: { type: 'description', description: { type: 'offer', sdp: SDP } },
    });
    const deadline = Date.now() + seconds * 1000;
    let sent = 0;
    while (Date.now() < deadline) {
      for (const socket of accomplices) {
        // Keeps the accomplices' own buffers small: they send only what the server reads.
        if (socket.bufferedAmount < 1024 * 1024) {
          socket.send(frame);
          sent += 1;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    clearInterval(pongs);
    const peak = memoryOf(pid, 'VmHWM');
    const after = memoryOf(pid, 'VmRSS');
    console.log(
      `server RSS before ${before} MB, peak ${peak} MB, after ${after} MB; ` +
        `${sent} signals of 48 KiB sent to the sink in ${seconds} s; sink closed: ${sinkClosed}`,
    );
    for (const socket of [sink, ...accomplices]) socket.terminate();
  } finally {
    child.kill();
  }
}

const servePath = arg('--serve');
await (servePath ? serve(servePath) : attack());
