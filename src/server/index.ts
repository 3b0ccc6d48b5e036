/**
 * peerstate/server: the embedded signaling server (rooms, presence, relay) for Node.
 */

export type { ClusterOptions, ClusterStats } from './cluster.js';
export {
  type SignalingServer,
  type SignalingServerOptions,
  type SignalingServerStats,
  startSignalingServer,
} from './signaling-server.js';
