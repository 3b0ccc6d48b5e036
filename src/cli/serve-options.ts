/**
 * What `peerstate serve` and `peerstate token` read from their flags: every limit of the signaling
 * server (one flag per `SERVER_DEFAULTS` entry, named in kebab case), the join-token secret, the
 * allowed origins and the TLS key pair, turned into `SignalingServerOptions`.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { joinTokenAuthenticator } from '../server/join-token.js';
import { SERVER_DEFAULTS, type SignalingServerOptions } from '../server/server-options.js';

/** The limits a flag sets, with the unit its help names (the server checks each range). */
const LIMIT_FLAGS = {
  maxFrameBytes: 'largest frame accepted, in bytes',
  maxFramesPerSecond: 'frames a socket may send per second, on average',
  maxRateLimitedFrames: 'rate-limited frames after which a socket is closed',
  pingIntervalMs: 'heartbeat period, in ms',
  maxInvalidFrames: 'invalid frames after which a socket is closed',
  maxBufferedBytes: "bytes held for a socket that doesn't read, before it is terminated",
  handshakeTimeoutMs: 'time from TCP accept to an accepted join, in ms',
  maxConnections: 'open connections in all',
  maxConnectionsPerAddress: 'open connections from one remote address',
  maxJoinsPerMinute: 'joins per minute in all',
  maxJoinsPerMinutePerAddress: 'joins per minute from one remote address',
  maxRoomPeers: 'peers in one room',
} as const satisfies Partial<Record<keyof typeof SERVER_DEFAULTS, string>>;

type LimitName = keyof typeof LIMIT_FLAGS;

/** `maxRoomPeers` → `max-room-peers`; commander gives the value back under the camel-case name. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('not a number');
  return n;
}

/** The parsed flags of `serve` that this file turns into options. */
export type ServeFlags = Partial<Record<LimitName, number>> & {
  joinSecretFile?: string;
  allowedOrigin?: string[];
  tlsKey?: string;
  tlsCert?: string;
};

/** Adds the `--join-secret-file` flag (shared by `serve` and `token`). */
export function joinSecretFlag(command: Command, required: boolean): Command {
  const option = new Option(
    '--join-secret-file <file>',
    'file holding the join-token secret (at least 32 bytes; one trailing newline is ignored)',
  );
  if (required) option.makeOptionMandatory();
  return command.addOption(option);
}

/** Adds every flag of {@link ServeFlags} to `command`. */
export function serveFlags(command: Command): Command {
  for (const [name, what] of Object.entries(LIMIT_FLAGS)) {
    const fallback = SERVER_DEFAULTS[name as LimitName];
    command.option(`--${kebab(name)} <n>`, `${what} (default ${fallback})`, number);
  }
  joinSecretFlag(command, false);
  return command
    .option('--allowed-origin <origin...>', 'Origin header values an upgrade may carry (default: any)')
    .option('--tls-key <file>', 'serve wss:// with this PEM private key (with --tls-cert)')
    .option('--tls-cert <file>', 'serve wss:// with this PEM certificate chain (with --tls-key)');
}

/**
 * Reads the secret of `--join-secret-file`: the file's bytes, less one trailing newline (editors add
 * one).
 * @throws RangeError when the file is shorter than 32 bytes (a usage error), Error when it can't be read.
 */
export function readJoinSecret(file: string): Uint8Array {
  let bytes: Buffer = readFileSync(file);
  if (bytes.at(-1) === 0x0a) bytes = bytes.subarray(0, bytes.length - (bytes.at(-2) === 0x0d ? 2 : 1));
  if (bytes.length < 32)
    throw new RangeError(`--join-secret-file must hold at least 32 bytes, ${file} holds ${bytes.length}`);
  return new Uint8Array(bytes);
}

/**
 * The server options `flags` ask for (limits, `authenticate` from the secret file, origins, TLS).
 * @throws RangeError for `--tls-key` without `--tls-cert` (or the reverse) or a short secret; the
 *   server's own checks raise RangeError for a limit out of range.
 */
export function serverOptionsOf(flags: ServeFlags): SignalingServerOptions {
  const options: SignalingServerOptions = {};
  for (const name of Object.keys(LIMIT_FLAGS) as LimitName[]) {
    const value = flags[name];
    if (value !== undefined) options[name] = value;
  }
  if (flags.joinSecretFile)
    options.authenticate = joinTokenAuthenticator(readJoinSecret(flags.joinSecretFile));
  if (flags.allowedOrigin) options.allowedOrigins = flags.allowedOrigin;
  if ((flags.tlsKey === undefined) !== (flags.tlsCert === undefined))
    throw new RangeError('--tls-key and --tls-cert go together');
  if (flags.tlsKey && flags.tlsCert)
    options.tls = { key: readFileSync(flags.tlsKey), cert: readFileSync(flags.tlsCert) };
  return options;
}
