/**
 * peerstate/server: the embedded signaling server (rooms, presence, relay) for Node, and join
 * tokens for its `authenticate` hook.
 *
 * @module peerstate/server
 */

export type { ClusterOptions, ClusterStats } from './cluster.js';
export {
  type Authenticate,
  createJoinToken,
  type JoinRequest,
  type JoinTokenClaims,
  joinTokenAuthenticator,
} from './join-token.js';
export type { RefusalReason } from './refusals.js';
export { SERVER_DEFAULTS, type SignalingServerOptions } from './server-options.js';
export { type SignalingServer, type SignalingServerStats, startSignalingServer } from './signaling-server.js';
