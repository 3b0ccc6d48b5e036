/**
 * A TCP proxy on 127.0.0.1 in front of a real redis-server, for race tests of the cluster mode: it
 * can hold back Redis' replies on the one connection that sent a given command, while every other
 * connection (the node's subscriber among them) flows, so the test decides which arrives first.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

export interface RedisProxy {
  /** `redis://127.0.0.1:PORT`, to give a node instead of Redis' own URL. */
  readonly url: string;
  /**
   * From now on, the first connection whose client sends `marker` (raw RESP bytes) gets no more
   * bytes from Redis until `release()`. Resolves once Redis has answered on it (the reply is held).
   */
  holdAfter(marker: string): Promise<void>;
  /** Passes the held bytes on; resolves once they are written to the client's socket. */
  release(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy to `127.0.0.1:redisPort` on a free port. */
export async function startRedisProxy(redisPort: number): Promise<RedisProxy> {
  const sockets = new Set<Socket>();
  let hold: { marker: string; held: () => void; client?: Socket; chunks: Buffer[] } | undefined;

  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: redisPort });
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (hold && !hold.client && chunk.includes(hold.marker)) hold.client = client;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (hold?.client === client) {
        hold.chunks.push(chunk);
        hold.held();
      } else client.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `redis://127.0.0.1:${port}`,
    holdAfter(marker) {
      return new Promise((held) => {
        hold = { marker, held, chunks: [] };
      });
    },
    async release() {
      const released = hold;
      hold = undefined;
      if (!released?.client) return;
      const data = Buffer.concat(released.chunks);
      const client = released.client;
      await new Promise<void>((resolve) => client.write(data, () => resolve()));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
