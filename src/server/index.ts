/**
 * peerstate/server: the embedded signaling server (rooms, presence, relay) for Node.
 *
 * @module peerstate/server
 */

export type { ClusterOptions, ClusterStats } from './cluster.js';
export {
  type SignalingServer,
  type SignalingServerOptions,
  type SignalingServerStats,
  startSignalingServer,
} from './signaling-server.js';
