/**
 * Shared parts of the model-based suites: fake timers for the runtime, the world on the fakes, and
 * the coverage report every chart prints (`model coverage <chart>: states a/b, transitions c/d`).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import type { ChartExplorer, Clock, ModelPath, World, WorldOptions } from '../../src/testing/index.js';
import { ChartCoverage, createWorld } from '../../src/testing/index.js';

/** Installs fake timers (everything the runtime reads: timeouts, intervals, Date, performance). */
export function useFakeTime(): Clock {
  vi.useFakeTimers({
    toFake: [
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'Date',
      'performance',
    ],
  });
  return { advance: (ms) => vi.advanceTimersByTimeAsync(ms).then(() => undefined) };
}

/** A world on fake timers; `done()` stops its system and restores real timers. */
export function fakeWorld(options: Omit<WorldOptions, 'clock'> = {}): World & { done(): Promise<void> } {
  const clock = useFakeTime();
  const world = createWorld({ ...options, clock });
  return Object.assign(world, {
    async done() {
      try {
        await world.stop();
      } finally {
        vi.useRealTimers();
      }
    },
  });
}

/**
 * Coverage of one chart from two sources: the runtime (inspection of the real actors while paths
 * and walks play) and pure walks of the chart (for what no real-world event reaches).
 */
export class CoverageReport {
  readonly runtime: ChartCoverage;
  readonly pure: ChartCoverage;
  /** How many paths and walks fed it, for the report line. */
  readonly counts = { paths: 0, runtimeWalks: 0, pureWalks: 0 };
  private readonly started = performance.now();

  /**
   * @param dead transitions (labels as in `chartTargets`) that nothing can take, not even a pure walk:
   * listed on purpose, printed on every run, and the suite fails if one of them is taken after all.
   */
  constructor(
    readonly chart: string,
    readonly machine: AnyStateMachine,
    readonly dead: readonly string[] = [],
  ) {
    this.runtime = new ChartCoverage(machine);
    this.pure = new ChartCoverage(machine);
  }

  /** Both sources together. */
  total(): ChartCoverage {
    const all = new ChartCoverage(this.machine);
    all.merge(this.runtime);
    all.merge(this.pure);
    return all;
  }

  /** Prints the coverage line (and what only pure walks reached) where vitest shows it. */
  print(): void {
    const all = this.total();
    const runtime = this.runtime.summary();
    const onlyPure = [
      ...runtime.states.missing.filter((s) => all.states.has(s)),
      ...this.runtime.targets.transitions
        .filter((t) => !this.runtime.transitions.has(t.key) && all.transitions.has(t.key))
        .map((t) => t.label),
    ];
    const ms = Math.round(performance.now() - this.started);
    const lines = [
      all.line(this.chart),
      `  ${this.chart}: ${this.counts.paths} generated paths, ${this.counts.runtimeWalks} runtime walks, ${this.counts.pureWalks} pure walks, ${ms} ms`,
      ...onlyPure.map((label) => `  reached only by pure walks (no real-world event): ${label}`),
      ...this.dead.map((label) => `  dead (no event reaches it, reported): ${label}`),
    ];
    // console.log shows under the test file's name; the raw line also survives reporters that hide it.
    console.log(lines.join('\n'));
    process.stdout.write(`${lines[0]}\n`);
  }

  /** Fails unless every state and transition was covered (but the listed dead ones), listing what was not. */
  expectComplete(): void {
    const summary = this.total().summary();
    expect(summary.states.missing, `${this.chart}: states not covered`).toEqual([]);
    expect(
      summary.transitions.missing,
      `${this.chart}: transitions not covered (dead ones are listed)`,
    ).toEqual([...this.dead]);
  }
}

/**
 * The suite of a chart explored in one configuration: every generated path played on the runtime,
 * random walks on the runtime and on the pure chart (fixed seed), then the coverage check and line.
 */
export function describeChartModel<TWorld>(options: {
  chart: string;
  paths: ModelPath[];
  explorer: ChartExplorer<TWorld>;
  report: CoverageReport;
  play: (path: ModelPath) => Promise<void>;
  seed: number;
}): void {
  const { chart, paths, explorer, report, play, seed } = options;
  describe(`${chart} chart: generated paths on the runtime`, () => {
    it('the traversal found paths', () => {
      expect(paths.length).toBeGreaterThan(0);
    });

    for (const path of paths) {
      it(path.description, async () => {
        report.counts.paths++;
        await play(path);
      });
    }

    it('random walks of feasible events: the runtime agrees with the chart at every step', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 14 }), async (choices) => {
          report.counts.runtimeWalks++;
          await play(explorer.walk(choices, 'runtime'));
        }),
        { numRuns: 30, seed },
      );
    });

    it('random walks of the pure chart (every event, also those the runtime cannot produce)', () => {
      fc.assert(
        fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (choices) => {
          report.counts.pureWalks++;
          const walk = explorer.walk(choices, 'pure');
          report.pure.addPath(walk);
          for (const step of walk.steps) expect(step.snapshot.status).not.toBe('error');
        }),
        { numRuns: 300, seed },
      );
    });

    it('covers every state and transition of the chart', () => {
      report.expectComplete();
    });
  });

  afterAll(() => {
    report.print();
  });
}
