/**
 * The Node RTC stacks an endpoint can run on, by name. Only @roamhq/wrtc is a dependency; each other
 * stack is loaded only when chosen.
 */
import type { RtcImplementation } from '../../src/index.js';
import { wrtcImplementation } from '../../src/node/index.js';
import { loadNodeDatachannel, loadWerift } from '../../src/node/optional-stacks.js';

/** Names of the Node stacks {@link nodeStack} knows. */
export const NODE_STACKS = ['wrtc', 'werift', 'node-datachannel'] as const;

/**
 * The implementation of a Node stack.
 * @throws Error naming the known stacks for any other name.
 */
export async function nodeStack(name: string): Promise<RtcImplementation> {
  if (name === 'wrtc') return wrtcImplementation;
  if (name === 'werift') return loadWerift();
  if (name === 'node-datachannel') return loadNodeDatachannel();
  throw new Error(`unknown Node stack ${JSON.stringify(name)} (known: ${NODE_STACKS.join(', ')})`);
}
