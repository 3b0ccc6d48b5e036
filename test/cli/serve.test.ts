/**
 * `peerstate serve`'s flags reach the server: with --join-secret-file only joins carrying a token
 * minted by `peerstate token` (same secret) are taken, a limit flag is enforced, --tls-key/--tls-cert
 * serve wss://, and --allowed-origin refuses another Origin. Real processes, real sockets on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type NodeProcess, spawnServe } from '../support/cluster-node.js';
import { signalingClients } from '../support/signaling-client.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../server/fixtures/${name}`, import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'peerstate-serve-'));
const secretFile = join(directory, 'secret');
// 32 random bytes as hex, with the trailing newline an editor would add.
writeFileSync(secretFile, `${randomBytes(32).toString('hex')}\n`);
const otherSecretFile = join(directory, 'other-secret');
writeFileSync(otherSecretFile, randomBytes(48));

function token(secret: string, room: string, peerId: string): string {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', main, 'token', '--join-secret-file', secret, '--room', room, '--peer-id', peerId],
    { encoding: 'utf8' },
  );
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

const servers: NodeProcess[] = [];
const clients = signalingClients();

afterAll(() => rmSync(directory, { recursive: true, force: true }));

afterEach(async () => {
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

describe('peerstate serve', { timeout: 60_000 }, () => {
  it('--join-secret-file takes only tokens of its secret; --max-room-peers caps the room', async () => {
    const server = await spawnServe(['--join-secret-file', secretFile, '--max-room-peers', '1']);
    servers.push(server);

    const bare = await clients.join(server.url, 'r', 'alice');
    expect(bare.welcome).toMatchObject({ type: 'error', code: 'unauthorized' });
    const forged = await clients.join(server.url, 'r', 'alice', {
      token: token(otherSecretFile, 'r', 'alice'),
    });
    expect(forged.welcome).toMatchObject({ type: 'error', code: 'unauthorized' });
    const wrongPeer = await clients.join(server.url, 'r', 'alice', { token: token(secretFile, 'r', 'bob') });
    expect(wrongPeer.welcome).toMatchObject({ type: 'error', code: 'unauthorized' });

    const alice = await clients.join(server.url, 'r', 'alice', { token: token(secretFile, 'r', 'alice') });
    expect(alice.welcome).toEqual({ v: 1, type: 'welcome', room: 'r', peerId: 'alice', peers: [] });
    const bob = await clients.join(server.url, 'r', 'bob', { token: token(secretFile, 'r', 'bob') });
    expect(bob.welcome).toMatchObject({ type: 'error', code: 'room-full' });
  });

  it('--tls-key and --tls-cert serve wss://; --allowed-origin refuses another Origin', async () => {
    const server = await spawnServe([
      '--tls-key',
      fixture('tls-key.pem'),
      '--tls-cert',
      fixture('tls-cert.pem'),
      '--allowed-origin',
      'https://app.example',
    ]);
    servers.push(server);
    expect(server.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(fixture('tls-cert.pem'));

    const allowed = await clients.connect(server.url, { ca, origin: 'https://app.example' });
    allowed.send({ v: 1, type: 'join', room: 'r', peerId: 'alice' });
    expect(await allowed.next()).toMatchObject({ type: 'welcome', peerId: 'alice' });
    await expect(clients.connect(server.url, { ca, origin: 'https://evil.example' })).rejects.toThrow(/403/);
  });
});
