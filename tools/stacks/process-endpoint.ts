/** An endpoint in a Node process of its own (tools/stacks/process-entry.ts), which can be killed. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Endpoint, type EndpointCall, type EndpointOptions, remoteEndpoint } from './endpoint.js';

const ENTRY = fileURLToPath(new URL('./process-entry.ts', import.meta.url));

/** An endpoint whose process can die. */
export interface ProcessEndpoint extends Endpoint {
  /** SIGKILLs the process: its peer connections and socket die without a goodbye. */
  kill(): Promise<void>;
}

/**
 * Starts a process running an endpoint on the Node stack `stack` (tools/stacks/node-stacks.ts);
 * resolves once it is ready. Calls after the process died reject.
 */
export async function startProcessEndpoint(
  stack: string,
  options: EndpointOptions,
): Promise<ProcessEndpoint> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, stack, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  let dead = false;
  const ready = new Promise<void>((resolve, reject) => {
    void exited.then(() => reject(new Error(`${stack} endpoint exited before it was ready`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as { ready?: boolean; id?: number; result?: unknown; error?: string };
      if (answer.ready) resolve();
      const waiter = answer.id === undefined ? undefined : pending.get(answer.id);
      if (!waiter || answer.id === undefined) return;
      pending.delete(answer.id);
      if (answer.error !== undefined) waiter.reject(new Error(answer.error));
      else waiter.resolve(answer.result);
    });
  });
  void exited.then(() => {
    dead = true;
    for (const waiter of pending.values()) waiter.reject(new Error(`${stack} endpoint process is gone`));
    pending.clear();
  });
  await ready;
  const call: EndpointCall = (method, args) => {
    if (dead) return Promise.reject(new Error(`${stack} endpoint process is gone`)) as never;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
    }) as never;
  };
  return {
    ...remoteEndpoint(stack, options.localId, call),
    async stop() {
      if (dead) return;
      child.stdin.end();
      await exited;
    },
    async kill() {
      if (!dead) child.kill('SIGKILL');
      await exited;
    },
  };
}
