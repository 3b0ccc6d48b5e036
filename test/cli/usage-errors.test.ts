/**
 * The `peerstate` command's usage errors all exit with 2, whichever part finds them (commander for
 * unknown commands, options and non-integers; the demo for values out of range), before any peer
 * or server starts; `--help` exits with 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'peerstate-cli-'));
const shortSecret = join(directory, 'short-secret');
afterAll(() => rmSync(directory, { recursive: true, force: true }));
writeFileSync(shortSecret, 'only sixteen byte');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('peerstate command line', { timeout: 60_000 }, () => {
  it.each([
    [['demo', '--peers', '0'], /--peers must be an integer ≥ 2/],
    [['demo', '--peers', 'abc'], /not an integer/],
    [['demo', '--messages', '-1'], /--messages must be an integer ≥ 0/],
    [['demo', '--bogus'], /unknown option '--bogus'/],
    [['dance'], /unknown command 'dance'/],
    [['serve', '--max-room-peers', '0'], /maxRoomPeers must be an integer in \[1, 10000\], got 0/],
    [['serve', '--max-connections', 'many'], /not a number/],
    [['serve', '--tls-key', 'key.pem'], /--tls-key and --tls-cert go together/],
    [['serve', '--join-secret-file', shortSecret], /must hold at least 32 bytes/],
    [['token', '--room', 'r', '--peer-id', 'alice'], /required option '--join-secret-file <file>'/],
  ])('%j is a usage error: exit 2 and says why', (args, why) => {
    const result = run(...args);
    expect(result.stderr).toMatch(why);
    expect(result.status).toBe(2);
  });

  it('--help prints the demo options and exits 0', () => {
    const result = run('demo', '--help');
    expect(result.stdout).toMatch(/--peers <n>/);
    expect(result.status).toBe(0);
  });
});
