import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { call, startTestRegistry, tempDir } from '../helpers/registry.js';

// Attackers connect from 127.0.0.2 (Linux routes all of 127/8 to loopback), honest clients from 127.0.0.1.
const ATTACKER = '127.0.0.2';

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** A raw connection from the attacker's address; `whenClosed` settles when the server (or we) close it. */
async function open(url: string): Promise<Socket & { whenClosed: Promise<void> }> {
  const s = connect({ ...hostPort(url), localAddress: ATTACKER });
  s.on('error', () => undefined); // a reset is a close too
  // Listened for from the start: the server may close it before 'connect' is even seen here.
  const closed = once(s, 'close').then(() => undefined);
  await Promise.race([once(s, 'connect'), closed]);
  return Object.assign(s, { whenClosed: closed });
}

/**
 * Resolves with the ms from now until the server closes `s`. A guard rejects after `guardMs` so that a
 * registry that never cuts the client fails the test instead of hanging it.
 */
function closedWithin(s: Socket, guardMs: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`still open after ${guardMs} ms`)), guardMs);
    s.once('close', () => {
      clearTimeout(guard);
      resolve(performance.now() - start);
    });
  });
}

/** Sends `text` one byte every `everyMs` until the socket closes: keeps the connection busy, never idle. */
function drip(s: Socket, text: string, everyMs: number): void {
  let i = 0;
  const t = setInterval(() => {
    if (s.destroyed || i >= text.length) return clearInterval(t);
    s.write(text[i++]!);
  }, everyMs);
  s.once('close', () => clearInterval(t));
}

test('slow headers, a body sent one byte at a time and a silent partial body are cut within the configured time; honest clients are served meanwhile', {
  timeout: 60_000,
}, async (t) => {
  const reg = await startTestRegistry(
    {
      http: { headers_timeout_seconds: 1, request_timeout_seconds: 2, keep_alive_timeout_seconds: 1 },
    },
    { t },
  );
  const slowHeaders = await open(reg.url);
  slowHeaders.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
  drip(slowHeaders, `X-Filler: ${'a'.repeat(10_000)}\r\n\r\n`, 50);

  const slowBody = await open(reg.url);
  slowBody.write(
    'POST /announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n',
  );
  drip(slowBody, `{"x":"${'a'.repeat(9990)}"}`, 50);

  const silent = await open(reg.url);
  silent.write(
    'POST /announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user_id":',
  );

  const idle = await open(reg.url);
  idle.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
  await once(idle, 'data'); // answered; the kept-alive connection then idles

  const cuts = Promise.all([slowHeaders, slowBody, silent, idle].map((s) => closedWithin(s, 30_000)));
  // Honest requests from another address are answered while the slow clients hold their connections.
  for (let i = 0; i < 5; i++) assert.equal((await call(reg.url, 'GET', '/api/health')).status, 200);
  const [headersMs, bodyMs, silentMs, idleMs] = await cuts;
  // Generous bounds for a busy machine; without limits these stay open for minutes (or forever).
  assert.ok(headersMs! < 10_000, `slow headers cut after ${headersMs} ms`);
  assert.ok(bodyMs! < 12_000, `slow body cut after ${bodyMs} ms`);
  assert.ok(silentMs! < 12_000, `silent partial body cut after ${silentMs} ms`);
  assert.ok(idleMs! < 10_000, `idle keep-alive cut after ${idleMs} ms`);
  assert.equal((await call(reg.url, 'GET', '/api/health')).status, 200);
});

test('connections beyond max_connections_per_ip from one address are closed at once; that address keeps its allowance and others are unaffected', {
  timeout: 60_000,
}, async (t) => {
  const reg = await startTestRegistry({ http: { max_connections_per_ip: 4 } }, { t });
  // The server's end of each connection, by client port: its 'close' is when the registry let go of it.
  const serverEnd = new Map<number, Socket>();
  reg.app.server.on('connection', (s: Socket) => serverEnd.set(s.remotePort!, s));
  const sockets = await Promise.all(Array.from({ length: 10 }, () => open(reg.url)));
  const closed: Socket[] = [];
  await new Promise<void>((resolve) => {
    for (const s of sockets)
      void s.whenClosed.then(() => {
        closed.push(s);
        if (closed.length === 6) resolve();
      });
  });
  // An honest client at another address is served while the four allowed connections are held.
  assert.equal((await call(reg.url, 'GET', '/api/health')).status, 200);
  const kept = sockets.filter((s) => !closed.includes(s));
  assert.equal(kept.length, 4);
  for (const s of kept) {
    s.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    const [data] = (await once(s, 'data')) as [Buffer];
    assert.match(data.toString(), /^HTTP\/1\.1 200 /);
  }
  // Once one of them closes, the address may connect again.
  const released = once(serverEnd.get(kept[0]!.localPort!)!, 'close');
  kept[0]!.destroy();
  await released;
  const again = await open(reg.url);
  again.write('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [data] = (await once(again, 'data')) as [Buffer];
  assert.match(data.toString(), /^HTTP\/1\.1 200 /);
  for (const s of [...kept, again]) s.destroy();
});

test('connections from a trusted proxy are not capped (every client behind it shares its address)', {
  timeout: 60_000,
}, async (t) => {
  const reg = await startTestRegistry({ trusted_proxies: [ATTACKER], http: { max_connections_per_ip: 2 } }, { t });
  const sockets = await Promise.all(Array.from({ length: 5 }, () => open(reg.url)));
  for (const s of sockets) {
    s.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    const [data] = (await once(s, 'data')) as [Buffer];
    assert.match(data.toString(), /^HTTP\/1\.1 200 /);
  }
  for (const s of sockets) s.destroy();
});

test('headers_timeout_seconds above request_timeout_seconds is a config error naming both keys', async () => {
  await assert.rejects(
    startTestRegistry({ http: { headers_timeout_seconds: 30, request_timeout_seconds: 5 } }),
    /http\.headers_timeout_seconds.*http\.request_timeout_seconds/,
  );
});

test('TLS: a client offering only AES256-SHA (no forward secrecy) or a CBC suite fails the handshake; TLS 1.3 and ECDHE-GCM on TLS 1.2 succeed', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  // An RSA certificate: with it the server could negotiate plain-RSA key exchange if its cipher list allowed.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
    ],
    {
      cwd: dir.path,
      stdio: 'pipe',
    },
  );
  const reg = await startTestRegistry(
    {
      mode: 'tls',
      tls: { cert_pem_path: join(dir.path, 'cert.pem'), key_pem_path: join(dir.path, 'key.pem') },
    },
    { t },
  );
  const handshake = (options: { ciphers?: string; minVersion?: 'TLSv1.2'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }) =>
    new Promise<{ ok: true; cipher: string; version: string } | { ok: false; error: string }>((resolve) => {
      const s = tlsConnect({ ...hostPort(reg.url), rejectUnauthorized: false, ...options }, () => {
        resolve({ ok: true, cipher: s.getCipher().name, version: s.getProtocol() ?? '' });
        s.destroy();
      });
      s.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
  for (const ciphers of ['AES256-SHA', 'AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA']) {
    const r = await handshake({ ciphers, maxVersion: 'TLSv1.2' });
    assert.equal(r.ok, false, `${ciphers} was accepted: ${JSON.stringify(r)}`);
  }
  const tls12 = await handshake({ ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' });
  assert.deepEqual(tls12, { ok: true, cipher: 'ECDHE-RSA-AES128-GCM-SHA256', version: 'TLSv1.2' });
  const modern = await handshake({});
  assert.equal(modern.ok, true);
  assert.equal(modern.ok && modern.version, 'TLSv1.3');
});
