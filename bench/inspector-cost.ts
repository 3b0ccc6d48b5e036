/**
 * The `inspector` benchmark: what attaching the inspector's feed costs a peer system per chart event,
 * without the network's noise. One system on the scripted fakes (src/testing) queues `messages` SENDs
 * to one peer (each a chart event and a snapshot, which the feed sees through XState inspection),
 * yielding to the event loop every 1,000 so the feed's ticks run. Runs alternate (without, with)
 * after one uncounted pair; the result is the ratio of the medians, with/without (1 = free).
 */
import { createInspectorFeed } from '../src/node/inspector/feed.js';
import { fakeSystem } from '../test/support/fake-system.js';
import { median, round } from './stats.js';

/** One run: ms to queue `messages` SENDs, with or without the feed attached. */
async function queueSends(messages: number, inspect: boolean): Promise<number> {
  const system = fakeSystem({ outbox: { maxMessages: messages, maxBytes: messages * 16 } });
  const feed = inspect ? createInspectorFeed() : undefined;
  feed?.attach(system);
  const bob = system.connect('bob');
  const start = performance.now();
  for (let i = 0; i < messages; i++) {
    bob.send('m');
    if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const ms = performance.now() - start;
  feed?.close();
  await system.stop();
  return ms;
}

/**
 * `npm run bench -- inspector`: prints each pair and the ratio of medians (with/without) on stdout,
 * the JSON line `{"withoutMs","withMs","ratio"}` last with `json`. Resolves with the exit code.
 */
export async function runInspectorCostBench(options: {
  runs: number;
  messages: number;
  json: boolean;
}): Promise<number> {
  const without: number[] = [];
  const withFeed: number[] = [];
  await queueSends(options.messages, false);
  await queueSends(options.messages, true);
  for (let run = 1; run <= options.runs; run++) {
    without.push(await queueSends(options.messages, false));
    withFeed.push(await queueSends(options.messages, true));
    console.log(
      `run ${run}  without ${without.at(-1)?.toFixed(0)} ms  with inspector ${withFeed.at(-1)?.toFixed(0)} ms`,
    );
  }
  const result = { withoutMs: round(median(without), 1), withMs: round(median(withFeed), 1) };
  const ratio = round(result.withMs / result.withoutMs, 3);
  console.log(
    `${options.messages} SENDs: median without ${result.withoutMs} ms, with ${result.withMs} ms; ratio ${ratio}`,
  );
  if (options.json) console.log(JSON.stringify({ ...result, ratio }));
  return 0;
}
