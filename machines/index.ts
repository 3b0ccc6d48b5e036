/**
 * The statecharts, pure: `peer`, `signaling`, `system`. Implementations are supplied with `provide`.
 *
 * @module peerstate/machines
 */
export * from './peer.js';
export * from './signaling.js';
export * from './system.js';
