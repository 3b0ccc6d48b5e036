/**
 * The signaling server's `tls` option (wss:// on a key and certificate; the fixture is a self-signed
 * certificate for 127.0.0.1 made for these tests only) and the join tokens of
 * src/server/join-token.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createJoinToken,
  joinTokenAuthenticator,
  type SignalingServer,
  startSignalingServer,
} from '../../src/server/index.js';
import { signalingClients } from '../support/signaling-client.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url));
const servers: SignalingServer[] = [];
const clients = signalingClients();

afterEach(async () => {
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('tls', () => {
  it('serves wss:// with the given key and certificate; a client that trusts it joins', async () => {
    const cert = fixture('tls-cert.pem');
    const server = await startSignalingServer({ log: () => {}, tls: { key: fixture('tls-key.pem'), cert } });
    servers.push(server);
    expect(server.url).toBe(`wss://127.0.0.1:${server.port}`);
    const client = await clients.connect(server.url, { ca: cert });
    client.send({ v: 1, type: 'join', room: 'r', peerId: 'alice' });
    expect(await client.next()).toEqual({ v: 1, type: 'welcome', room: 'r', peerId: 'alice', peers: [] });
  });
});

describe('join tokens', () => {
  const key = randomBytes(32);
  const request = {} as IncomingMessage;
  const check = joinTokenAuthenticator(key);

  it('accept a token for the join’s room and peer id, and nothing else', async () => {
    const token = await createJoinToken(key, { room: 'r', peerId: 'alice' });
    expect(await check(request, { room: 'r', peerId: 'alice', token })).toBe(true);
    expect(await check(request, { room: 'r', peerId: 'alice', token: undefined })).toBe(false);
    expect(await check(request, { room: 'other', peerId: 'alice', token })).toBe(false);
    await expect(check(request, { room: 'r', peerId: 'bob', token })).rejects.toThrow();
    const forged = await createJoinToken(randomBytes(32), { room: 'r', peerId: 'alice' });
    await expect(check(request, { room: 'r', peerId: 'alice', token: forged })).rejects.toThrow();
  });

  it('refuse short secrets and lifetimes that are not whole seconds ≥ 1', async () => {
    expect(() => joinTokenAuthenticator(randomBytes(16))).toThrow(RangeError);
    await expect(createJoinToken(randomBytes(16), { room: 'r', peerId: 'a' })).rejects.toThrow(RangeError);
    await expect(createJoinToken(key, { room: 'r', peerId: 'a', expiresInSeconds: 0.5 })).rejects.toThrow(
      RangeError,
    );
  });

  it('an authenticated join of a held peer id replaces the holder (4001): the token proved the identity', async () => {
    const server = await startSignalingServer({ log: () => {}, authenticate: check });
    servers.push(server);
    const token = await createJoinToken(key, { room: 'r', peerId: 'alice' });
    const first = await clients.join(server.url, 'r', 'alice', { token });
    const second = await clients.join(server.url, 'r', 'alice', { token });
    expect(second.welcome).toMatchObject({ type: 'welcome', peerId: 'alice' });
    expect(await first.client.closed).toEqual({ code: 4001, reason: 'replaced' });
  });
});
