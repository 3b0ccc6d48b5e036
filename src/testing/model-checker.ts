/**
 * An explicit-state model checker for any pure transition system: breadth first from the initial
 * state, states deduplicated by a canonical key, every state's invariants checked, and bounded
 * liveness: from every reachable state some path of fair moves must reach a goal state. The composed
 * model of two peers (./pair-model.ts) is its main user; nothing here knows a chart.
 */

/** One way a state can go on. */
export interface Move<S> {
  /** What happened, as a path prints it (`b ← a: offer`, `a: xstate.after.connectTimeout`). */
  label: string;
  /**
   * A fair move is one the world makes once faults stop (deliveries, completions, timers). Unfair
   * ones (a lost message, a fault, a user's close) never help show liveness.
   */
  fair: boolean;
  /** The state after the move, and the invariants the move itself broke. */
  next(): { state: S; violations: string[] };
}

/** What the checker explores. */
export interface TransitionSystem<S> {
  initial: S;
  /** The canonical form: states with the same key behave the same from here on. */
  key(state: S): string;
  /** Every move from `state`; none in a final state. */
  moves(state: S): Move<S>[];
  /** Invariants of `state` it breaks. */
  check(state: S): string[];
  /** Where liveness must be able to get to (e.g. both peers connected). */
  goal(state: S): boolean;
  /** Whether `state` lies within the bounds: one that does not is counted, not expanded. */
  withinBounds(state: S): boolean;
}

/** A broken invariant or a state from which no fair continuation reaches a goal, with how to get there. */
export interface Counterexample {
  message: string;
  /** Move labels from the initial state. */
  path: string[];
}

/** What a check found. */
export interface CheckResult {
  /** Distinct states reached (by key). */
  states: number;
  /** Moves taken (edges, duplicates included). */
  transitions: number;
  /** Length of the longest shortest path to a state. */
  depth: number;
  seconds: number;
  /** States left unexpanded because they lie beyond a bound. */
  cut: number;
  /** False when `maxStates` stopped the search before the state space was exhausted. */
  complete: boolean;
  /** Safety: the shortest path to each distinct broken invariant. */
  violations: Counterexample[];
  /** Liveness: states (shallowest first) from which no fair continuation reaches a goal. */
  stuck: Counterexample[];
}

/** Options of `checkModel`. */
export interface CheckOptions {
  /** Stop exploring after this many states (the result says it is incomplete). Default 2,000,000. */
  maxStates?: number;
  /** Stop at the first safety violation (the mutation tests want only that). */
  stopAtFirstViolation?: boolean;
  /** Skip the liveness pass. */
  safetyOnly?: boolean;
  /** How many stuck states to report at most. Default 3. */
  maxStuck?: number;
}

/**
 * Explores every state of `system` reachable within its bounds, breadth first, so each counterexample
 * path is a shortest one.
 *
 * @example
 * const result = checkModel(pairSystem(GLARE.small));
 * console.log(result.states, result.violations.length, result.stuck.length);
 */
export function checkModel<S>(system: TransitionSystem<S>, options: CheckOptions = {}): CheckResult {
  const started = performance.now();
  const maxStates = options.maxStates ?? 2_000_000;
  const index = new Map<string, number>();
  const states: S[] = [];
  const parent: number[] = [];
  const via: string[] = [];
  const depthOf: number[] = [];
  const expanded: boolean[] = [];
  const goal: boolean[] = [];
  /** Fair edges backwards: for each state, the states that reach it with one fair move. */
  const fairInto: number[][] = [];
  const violations: Counterexample[] = [];
  const seenViolation = new Set<string>();
  let transitions = 0;
  let cut = 0;
  let complete = true;

  const pathTo = (i: number): string[] => {
    const labels: string[] = [];
    for (let at = i; parent[at] !== -1; at = parent[at] as number) labels.push(via[at] as string);
    return labels.reverse();
  };
  const report = (messages: string[], at: number, extra?: string) => {
    for (const message of messages) {
      if (seenViolation.has(message)) continue;
      seenViolation.add(message);
      const path = pathTo(at);
      if (extra) path.push(extra);
      violations.push({ message, path });
    }
  };
  const add = (state: S, from: number, label: string): number => {
    const key = system.key(state);
    const known = index.get(key);
    if (known !== undefined) return known;
    const i = states.length;
    index.set(key, i);
    states.push(state);
    parent.push(from);
    via.push(label);
    depthOf.push(from === -1 ? 0 : (depthOf[from] as number) + 1);
    expanded.push(false);
    goal.push(system.goal(state));
    fairInto.push([]);
    report(system.check(state), i);
    return i;
  };

  add(system.initial, -1, '');
  for (let i = 0; i < states.length; i++) {
    if (options.stopAtFirstViolation && violations.length > 0) break;
    const state = states[i] as S;
    if (!system.withinBounds(state)) {
      cut++;
      continue;
    }
    if (states.length >= maxStates) {
      complete = false;
      break;
    }
    expanded[i] = true;
    for (const move of system.moves(state)) {
      transitions++;
      const { state: next, violations: broken } = move.next();
      if (broken.length > 0) report(broken, i, move.label);
      const j = add(next, i, move.label);
      if (move.fair && j !== i) (fairInto[j] as number[]).push(i);
    }
  }

  const stuck = options.safetyOnly ? [] : stuckStates(states.length, goal, expanded, fairInto);
  return {
    states: states.length,
    transitions,
    depth: depthOf.at(-1) ?? 0,
    seconds: (performance.now() - started) / 1000,
    cut,
    complete,
    violations,
    stuck: stuck
      .sort((x, y) => (depthOf[x] as number) - (depthOf[y] as number))
      .slice(0, options.maxStuck ?? 3)
      .map((i) => ({ message: 'no fair continuation reaches the goal', path: pathTo(i) })),
  };
}

/**
 * The expanded states from which no fair path reaches a goal: backwards from the goals and from the
 * states beyond the bounds (whose future is unknown, so they are given the benefit of the doubt).
 */
function stuckStates(count: number, goal: boolean[], expanded: boolean[], fairInto: number[][]): number[] {
  const good = new Uint8Array(count);
  const queue: number[] = [];
  for (let i = 0; i < count; i++) {
    if (goal[i] || !expanded[i]) {
      good[i] = 1;
      queue.push(i);
    }
  }
  while (queue.length > 0) {
    const j = queue.pop() as number;
    for (const i of fairInto[j] as number[]) {
      if (!good[i]) {
        good[i] = 1;
        queue.push(i);
      }
    }
  }
  const stuck: number[] = [];
  for (let i = 0; i < count; i++) if (!good[i]) stuck.push(i);
  return stuck;
}
