/**
 * A Node endpoint in a process of its own (started by tools/stacks/process-endpoint.ts), so that a
 * test can kill it like a crashed app. Usage: `node --import tsx process-entry.ts <stack> <options JSON>`.
 * Reads one JSON request per line on stdin, `{"id":n,"method":"send","args":[...]}`, and answers
 * each with one line on stdout, `{"id":n,"result":...}` or `{"id":n,"error":"..."}`; the first line
 * it writes is `{"ready":true}`.
 */
import { createInterface } from 'node:readline';
import { nodeEndpoint, type RemoteMethod } from './endpoint.js';
import type { EndpointOptions } from './endpoint-options.js';
import { nodeStack } from './node-stacks.js';

const [stack, json] = process.argv.slice(2);
if (!stack || !json) throw new Error('usage: process-entry.ts <stack> <options JSON>');
const endpoint = nodeEndpoint(JSON.parse(json) as EndpointOptions, await nodeStack(stack));
const methods = new Set<string>([
  'connect',
  'send',
  'report',
  'errors',
  'restartIce',
  'flushed',
  'stop',
] satisfies RemoteMethod[]);

/** A write to a pipe is synchronous on Linux: an answer written is never lost to SIGKILL. */
const write = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, method, args } = JSON.parse(line) as { id: number; method: string; args: unknown[] };
  if (!methods.has(method)) {
    write({ id, error: `unknown method ${method}` });
    return;
  }
  const call = endpoint[method as RemoteMethod] as (...a: unknown[]) => Promise<unknown>;
  call(...args).then(
    (result) => write({ id, result: result ?? null }),
    (error: unknown) => write({ id, error: String(error) }),
  );
});
process.stdin.on('end', () => void endpoint.stop().then(() => process.exit(0)));
write({ ready: true });
