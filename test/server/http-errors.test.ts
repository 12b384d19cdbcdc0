import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { resolveConfig } from '../../src/config/load.js';
import { startLedgerService } from '../../src/ledger/service.js';
import { clientErrorHandler } from '../../src/http/errors-plugin.js';
import { ApiError, rateLimited } from '../../src/errors.js';
import { defer } from '../helpers/cleanup.js';
import { identityFor } from '../helpers/directory-client.js';
import { makePki } from '../helpers/pki.js';
import { rawRequest, type RawResponse } from '../helpers/raw-http.js';
import { call, startTestRegistry, tempDir } from '../helpers/registry.js';

type Registry = Awaited<ReturnType<typeof startTestRegistry>>;

/** The answer is the JSON envelope with this status and code; returns the message. */
function assertEnvelope(r: RawResponse, status: number, code: string): string {
  assert.equal(r.status, status, r.raw.slice(0, 300));
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
  const body = JSON.parse(r.body) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error'], r.body);
  assert.equal(body.error.code, code, r.body);
  assert.equal(typeof body.error.message, 'string');
  return body.error.message;
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: registry.test\r\nConnection: close\r\n\r\n`;

/** Requests Node's HTTP parser itself refuses, each with the envelope it must now answer. */
const PARSER_ATTACKS: [string, string, number, string][] = [
  ['an unknown method', 'FOO /register HTTP/1.1\r\nHost: r\r\n\r\n', 400, 'INVALID_INPUT'],
  [
    'Content-Length: -1',
    'POST /register HTTP/1.1\r\nHost: r\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n',
    400,
    'INVALID_INPUT',
  ],
  [
    'two Content-Lengths',
    'POST /register HTTP/1.1\r\nHost: r\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    400,
    'INVALID_INPUT',
  ],
  [
    'a bad chunk size',
    'POST /register HTTP/1.1\r\nHost: r\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    400,
    'INVALID_INPUT',
  ],
  ['no Host header', 'GET /nodes HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'INVALID_INPUT'],
  [
    'oversized headers',
    `GET /nodes HTTP/1.1\r\nHost: r\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    431,
    'HEADERS_TOO_LARGE',
  ],
];

describe('every error is the JSON envelope, down to requests Node cannot parse', () => {
  let reg: Registry;
  before(async () => {
    reg = await startTestRegistry({ rate_limit: { enabled: false } });
  });
  after(() => reg.close());

  test('bad percent-escapes in a path are 400 INVALID_INPUT, not Fastify FST_ERR_BAD_URL', async () => {
    for (const bad of ['%ZZ', '%', '%C0%AF', '%FF%FE']) {
      const message = assertEnvelope(await rawRequest(reg.url, get(`/check_user/${bad}`)), 400, 'INVALID_INPUT');
      assert.match(message, /percent-escape/);
    }
  });

  test('a path parameter over 100 characters is checked by the schema: 400 naming the field, not 414', async () => {
    for (const length of [101, 300, 5000]) {
      const r = await call(reg.url, 'GET', `/check_user/${'a'.repeat(length)}`);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.match(r.body.error.message, /handle/);
    }
    // A long but valid parameter is still routed and answered.
    assert.deepEqual((await call(reg.url, 'GET', `/check_user/${identityFor('long-enough').user_id}`)).body, {
      exists: false,
    });
  });

  test('GET /check_user/ (an empty parameter) is 404 NOT_FOUND', async () => {
    const r = await call(reg.url, 'GET', '/check_user/');
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'NOT_FOUND');
    // and a wrong method on it is not advertised as a route either
    assert.equal((await call(reg.url, 'POST', '/check_user/', {})).status, 404);
  });

  for (const [what, request, status, code] of PARSER_ATTACKS) {
    test(`${what}: ${status} ${code} envelope as a raw response, and the server still serves`, async () => {
      assertEnvelope(await rawRequest(reg.url, request), status, code);
      assert.equal((await call(reg.url, 'GET', '/nodes')).status, 200);
    });
  }

  test('an Expect other than 100-continue is 417 EXPECTATION_FAILED in the envelope; 100-continue is served', async () => {
    const post = (expect: string) =>
      `POST /nodes HTTP/1.1\r\nHost: r\r\nExpect: ${expect}\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{"nodes":[]}`;
    assertEnvelope(await rawRequest(reg.url, post('4$L9x')), 417, 'EXPECTATION_FAILED');
    const served = await rawRequest(reg.url, post('100-continue'));
    assert.equal(served.status, 200, served.raw.slice(0, 300));
  });

  test('an HTTP/1.0 request without Host is still served', async () => {
    const r = await rawRequest(reg.url, 'GET /nodes HTTP/1.0\r\n\r\n');
    assert.equal(r.status, 200, r.raw.slice(0, 300));
  });
});

test("Node's request timeout (ERR_HTTP_REQUEST_TIMEOUT, emitted by the HTTP server) is answered 408 REQUEST_TIMEOUT", async () => {
  // The HTTP server emits it only after its request timeout; the handler is given the same error on a real socket.
  const server = createServer((socket) =>
    clientErrorHandler(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    assertEnvelope(
      await rawRequest(`http://127.0.0.1:${port}`, 'GET /nodes HTTP/1.1\r\nHost: r\r\n'),
      408,
      'REQUEST_TIMEOUT',
    );
  } finally {
    server.close();
  }
});

test('the standalone ledger service answers the same envelopes and reads bodies with the same parser', async (t) => {
  const dir = tempDir(t);
  const ledger = await startLedgerService(
    resolveConfig({ state_dir: dir.path, storage: { kind: 'memory' }, ledger: { address: '127.0.0.1:0' } }),
    pino({ level: 'silent' }),
  );
  defer(t, () => ledger.close());
  for (const [, request, status, code] of PARSER_ATTACKS)
    assertEnvelope(await rawRequest(ledger.url, request), status, code);
  const reserve = (body: string) =>
    `POST /reserve HTTP/1.1\r\nHost: r\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  assert.match(
    assertEnvelope(await rawRequest(ledger.url, reserve('{"ttl":60,"ttl":1}')), 400, 'INVALID_INPUT'),
    /appears twice/,
  );
  assert.match(
    assertEnvelope(await rawRequest(ledger.url, reserve(`${'['.repeat(100_000)}`)), 400, 'INVALID_INPUT'),
    /nested deeper/,
  );
});

describe('the same envelopes over HTTPS', () => {
  const dir = tempDir();
  let reg: Registry;
  before(async () => {
    makePki(dir.path);
    reg = await startTestRegistry({
      mode: 'tls',
      tls: { cert_pem_path: join(dir.path, 'server.pem'), key_pem_path: join(dir.path, 'server.key') },
    });
  });
  after(async () => {
    await reg.close();
    dir.remove();
  });

  test('parser errors, a missing Host and a bad escape answer the envelope over TLS', async () => {
    assert.match(reg.url, /^https:/);
    for (const [, request, status, code] of PARSER_ATTACKS)
      assertEnvelope(await rawRequest(reg.url, request), status, code);
    assertEnvelope(await rawRequest(reg.url, get('/check_user/%ZZ')), 400, 'INVALID_INPUT');
    assert.equal((await rawRequest(reg.url, get('/nodes'))).status, 200);
  });
});

test('a refusal of the client (4xx) is built without a stack; a server fault (5xx) keeps its stack', () => {
  const limit = Error.stackTraceLimit;
  const refused = rateLimited(3);
  const fault = new ApiError('INTERNAL', 'no active envelope key');
  assert.equal(refused.stack?.split('\n').length, 1, refused.stack);
  assert.match(fault.stack ?? '', /\n\s+at /, 'the stack of a fault says where it came from');
  assert.equal(Error.stackTraceLimit, limit, 'the limit is restored for every other error');
  assert.deepEqual(refused.body(), {
    error: {
      code: 'RATE_LIMITED',
      message: 'rate limit exceeded; retry after 3s',
      details: { retry_after_seconds: 3 },
    },
  });
});
