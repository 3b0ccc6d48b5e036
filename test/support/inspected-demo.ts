/** The 3-peer demo with the inspector, every link through its own UDP relay, running until stopped. */
import type { DemoSummary, RunningDemo } from '../../src/cli/demo.js';
import { runDemo } from '../../src/cli/demo.js';

/** A started demo: `demo` resolves once every system runs, `finished` when it ended after `stop()`. */
export interface InspectedDemo {
  demo: Promise<RunningDemo>;
  finished: Promise<DemoSummary>;
}

/** Starts the demo: 3 peers, 20 messages per link and direction, then 2 per second until stopped. */
export function startInspectedDemo(): InspectedDemo {
  let started: (demo: RunningDemo) => void = () => {};
  const demo = new Promise<RunningDemo>((resolve) => {
    started = resolve;
  });
  const finished = runDemo(
    {
      peers: 3,
      messages: 20,
      timeoutMs: 30_000,
      progress: false,
      inspect: true,
      relay: true,
      durationMs: Number.POSITIVE_INFINITY,
      onStart: (running) => started(running),
    },
    () => {},
  );
  return { demo, finished };
}
