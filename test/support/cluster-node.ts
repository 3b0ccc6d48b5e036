/**
 * A signaling server in its own process (`peerstate serve --redis`, node with tsx), so that a test
 * can SIGKILL it: a cluster node that dies without telling anyone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A running node process. */
export interface NodeProcess {
  /** Where clients connect, e.g. `ws://127.0.0.1:54321`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGKILLs the process (no cleanup runs) and resolves once it exited. */
  kill(): Promise<void>;
  /** Stops it with SIGTERM (it leaves the cluster cleanly) and resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `peerstate serve --port 0 --redis REDIS --node-ttl TTL` and resolves once it listens;
 * without `redis`, a server on its own.
 */
export function spawnNode(redis: string | undefined, nodeTtlMs = 900): Promise<NodeProcess> {
  return spawnServe(redis ? ['--redis', redis, '--node-ttl', String(nodeTtlMs)] : []);
}

/** Starts `peerstate serve --port 0 ...flags` and resolves once it listens (ws:// or wss://). */
export async function spawnServe(flags: readonly string[]): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--port', '0', ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (wss?:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${output}`)));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { url, child, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
