// Connection-level limits of every server: the TLS policy, request and idle timeouts, connections per client.
import { BlockList, isIPv4, type Socket } from 'node:net';
import type { Server } from 'node:http';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { Config } from '../config/schema.js';

/**
 * TLS policy: TLS 1.2 or newer, and on TLS 1.2 only ECDHE key exchange with AEAD ciphers (forward secrecy,
 * no CBC). The TLS 1.3 suites are all of that kind. Node's default list would also accept e.g. AES256-SHA.
 */
export const TLS_POLICY = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const satisfies HttpsOptions;

/**
 * Fastify options that bound how long a client may hold a connection. Fastify's own default disables Node's
 * request timeout, so a body sent one byte at a time, or a partial body and then silence, was never cut.
 * Node checks its timeouts every `connectionsCheckingInterval` (30 s by default); a quarter of the shortest
 * limit keeps the cut within 25% of the configured time.
 */
export function timeoutOptions(http: Config['http'], https?: HttpsOptions) {
  const ms = (s: number) => s * 1000;
  const server = {
    headersTimeout: ms(http.headers_timeout_seconds),
    connectionsCheckingInterval: Math.max(
      100,
      ms(Math.min(http.headers_timeout_seconds, http.request_timeout_seconds)) / 4,
    ),
  };
  return {
    requestTimeout: ms(http.request_timeout_seconds),
    keepAliveTimeout: ms(http.keep_alive_timeout_seconds),
    // Idle socket limit: also covers a client that stops reading its answer.
    connectionTimeout: ms(http.request_timeout_seconds),
    ...(https ? { https: { ...https, ...server } } : { http: server }),
  };
}

/**
 * Closes a client's connections beyond `max` open at once, as soon as they are accepted, so that one address
 * cannot take the file descriptors every other client needs. Connections from trusted proxies are exempt:
 * every client behind a proxy shares its address.
 */
export function capConnectionsPerClient(server: Server, max: number, trustedProxies: readonly string[]): void {
  const exempt = new BlockList();
  for (const p of trustedProxies) {
    const [ip, bits] = p.split('/') as [string, string | undefined];
    const type = isIPv4(ip) ? 'ipv4' : 'ipv6';
    if (bits === undefined) exempt.addAddress(ip, type);
    else exempt.addSubnet(ip, Number(bits), type);
  }
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const addr = clientAddress(socket);
    if (addr === undefined || exempt.check(addr, isIPv4(addr) ? 'ipv4' : 'ipv6')) return;
    const n = (open.get(addr) ?? 0) + 1;
    if (n > max) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = open.get(addr)! - 1;
      if (left === 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
}

/** The peer address, with an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) read as the IPv4 address it is. */
function clientAddress(socket: Socket): string | undefined {
  const a = socket.remoteAddress;
  return a?.startsWith('::ffff:') && isIPv4(a.slice(7)) ? a.slice(7) : a;
}
