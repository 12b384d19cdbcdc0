import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { identityFor } from '../helpers/directory-client.js';
import { rawRequest, type RawResponse } from '../helpers/raw-http.js';
import { call } from '../helpers/registry.js';
import { startPublishingRegistry, type TestRegistry } from '../proof/mint.js';

// Drives every route of the OpenAPI document plus the directory routes with malformed requests, over raw
// sockets so that anything can be sent (bad escapes, odd methods, broken framing). Seeded: a failure
// prints its seed and counterexample and replays identically.
const SEED = 0x5eed_1212;
const TOKEN = 'admin-token-for-fuzzing';
const DIRECTORY_ROUTES = [
  'POST /register',
  'POST /resolve',
  'GET /check_user/{handle}',
  'POST /announce',
  'POST /sync',
  'GET /nodes',
  'POST /nodes',
  'GET /envelope_pubkey',
  'GET /envelope_pubkeys',
  'GET /pow/challenge',
];

/** No 5xx; every error is exactly the envelope (the hosted ceremony page, opened by people, answers HTML pages). */
function assertSound(r: RawResponse, sent: string): void {
  const what = sent.slice(0, 300);
  assert.ok(r.status >= 100 && r.status < 500, `${what} → ${r.raw.slice(0, 300)}`);
  if (r.status < 400) return;
  if (/^(GET|HEAD) \/ceremony\/[^ ]/.test(sent) && r.headers['content-type']?.startsWith('text/html')) return;
  assert.match(r.headers['content-type'] ?? '', /^application\/json/, `${what} → ${r.raw.slice(0, 300)}`);
  if (sent.startsWith('HEAD ')) return; // the headers of the GET answer, without its body
  const body = JSON.parse(r.body) as { error?: { code?: unknown; message?: unknown } };
  assert.deepEqual(Object.keys(body), ['error'], `${what} → ${r.body.slice(0, 300)}`);
  assert.equal(typeof body.error?.code, 'string', what);
  assert.equal(typeof body.error?.message, 'string', what);
}

const handle = identityFor('fuzz').user_id;
const FIELD_NAMES = [
  'handle',
  'envelope',
  'kid',
  'sender_pubkey',
  'nonce',
  'ciphertext',
  'requester_ephemeral_pubkey_hex',
  'user_id',
  'addr',
  'ts_ms',
  'identities',
  'nodes',
  'base_url',
  'kind',
  'nonce_uuid',
  'payload',
  'tau',
  'bearings',
  'proof_hash',
  'command',
  'args',
  'flags',
  'input',
  'sha256',
  'manifest',
  'artifact_base64',
  'uuid',
  'ttl',
  '__proto__',
  'constructor',
];

const segment = fc.oneof(
  fc.constantFrom(
    '%ZZ',
    '%',
    '%C0%AF',
    '%FF%FE',
    '%00',
    '%2e%2e',
    '..',
    '',
    'fuzz',
    handle,
    handle.toUpperCase(),
    'a'.repeat(300),
    '%25',
    '%F0%9F%98%80',
  ),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 40 }).map(encodeURIComponent),
);

/** A body with a short printed form, so that a failing run shows `"[[[[…(200000 chars)"`, not 200 kB. */
class Payload {
  readonly label: string;
  constructor(readonly text: string) {
    this.label =
      text.length > 120 ? `${JSON.stringify(text.slice(0, 60))}…(${text.length} chars)` : JSON.stringify(text);
  }
  [fc.toStringMethod](): string {
    return this.label;
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const fieldObject = fc
  .dictionary(fc.constantFrom(...FIELD_NAMES), fc.oneof(jsonValue, fc.constant(handle), fc.bigInt().map(String)), {
    maxKeys: 6,
  })
  .map((o) => JSON.stringify(o));
const body = fc
  .oneof(
    fieldObject,
    jsonValue.map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      '{"handle":"zz","handle":"zz"}',
      '\ufeff{}',
      '{"ts_ms":18446744073709551616}',
      '{"ts_ms":1e999}',
      '{"a":1.0}',
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{}}}',
      '{"a":"\\ud800"}',
      '{"a":',
      'null',
      '',
    ),
    fc.integer({ min: 1, max: 200_000 }).map((n) => '['.repeat(n)),
    fc.integer({ min: 1, max: 100_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
    fc.constantFrom(...FIELD_NAMES).map((k) => JSON.stringify({ [k]: 'x'.repeat(1024 * 1024) })),
  )
  .map((text) => new Payload(text));

const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});
const request = fc.record({
  method: fc.oneof(fc.constant(undefined), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD')),
  params: fc.array(segment, { minLength: 3, maxLength: 3 }),
  query: fc.option(fc.string({ maxLength: 40 }).map(encodeURIComponent)),
  body: fc.option(body, { freq: 4 }),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'text/json',
    'application/ld+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    ';',
    'garbage',
  ),
  encoding: fc.option(fc.constantFrom('gzip', 'gzip-valid', 'deflate', 'br', 'identity', 'gzip, deflate'), { freq: 4 }),
  chunked: fc.boolean(),
  extra: fc.array(
    fc.tuple(
      fc.constantFrom(
        'authorization',
        'x-enigma-pow',
        'x-eni6ma-ledger-url',
        'x-forwarded-for',
        'accept',
        'range',
        'if-none-match',
        'expect',
      ),
      headerValue,
    ),
    { maxLength: 3 },
  ),
  admin: fc.boolean(),
});

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

function httpRequest(route: string, r: FuzzRequest): Buffer {
  const [routeMethod = 'GET', template = '/'] = route.split(' ');
  const method = r.method ?? routeMethod;
  let i = 0;
  const path =
    template.replace(/\{[^}]+\}/g, () => r.params[i++] ?? '') + (r.query === null ? '' : `?handle=${r.query}`);
  let payload = r.body === null ? undefined : Buffer.from(r.body.text);
  const headers = ['Host: registry.test', 'Connection: close'];
  if (payload) {
    headers.push(`Content-Type: ${r.contentType}`);
    if (r.encoding === 'gzip-valid') {
      payload = gzipSync(payload);
      headers.push('Content-Encoding: gzip');
    } else if (r.encoding) headers.push(`Content-Encoding: ${r.encoding}`);
  }
  if (r.admin) headers.push(`Authorization: Bearer ${TOKEN}`);
  for (const [name, value] of r.extra) headers.push(`${name}: ${value}`);
  if (payload && r.chunked) {
    headers.push('Transfer-Encoding: chunked');
    payload = Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (payload) headers.push(`Content-Length: ${payload.length}`);
  return Buffer.concat([
    Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'),
    payload ?? Buffer.alloc(0),
  ]);
}

const VALID_REQUESTS = [
  `GET /check_user/${handle} HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n`,
  'POST /announce HTTP/1.1\r\nHost: r\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"user_id":"x"}',
  'POST /api/circuits/fuzz/challenge HTTP/1.1\r\nHost: r\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
];
const EDITS = [
  '\r',
  '\n',
  '\r\n',
  ' ',
  '\0',
  ':',
  '-1',
  '%',
  '\u00ff',
  'Content-Length: 5\r\n',
  'Content-Length: -1\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Host: a\r\n',
  'zz\r\n',
  'FOO ',
];
const malformed = fc.oneof(
  fc
    .record({
      base: fc.constantFrom(...VALID_REQUESTS),
      edits: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...EDITS), fc.nat({ max: 4 })), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    .map(({ base, edits }) =>
      edits.reduce(
        (s, [at, insert, cut]) => s.slice(0, at % (s.length + 1)) + insert + s.slice((at % (s.length + 1)) + cut),
        base,
      ),
    ),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
);

describe('fuzzing every route with malformed input', () => {
  let reg: TestRegistry;
  let routes: string[];
  before(async () => {
    ({ reg } = await startPublishingRegistry({
      token: TOKEN,
      config: {
        rate_limit: { enabled: false },
        proof: { challenge_rps: 100_000, validate_rps: 100_000, cli_rps: 100_000, handle_rps: 100_000, burst: 100_000 },
      },
      circuits: { fuzz: { symbols: 'K7Q2X9' } },
    }));
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(reg.url, 'GET', '/api/swagger');
    const documented = Object.entries(doc.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.ok(documented.length > 20, 'the OpenAPI document lists the routes');
    routes = [...new Set([...documented, ...DIRECTORY_ROUTES])];
  });
  after(() => reg.close());

  test('requests to documented routes: no 5xx, every error is the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), request, async (pick, r) => {
        const route = routes[pick % routes.length]!;
        const sent = httpRequest(route, r);
        assertSound(await rawRequest(reg.url, sent), sent.toString('latin1'));
      }),
      { seed: SEED, numRuns: 400, endOnFailure: true, includeErrorInReport: true },
    );
  });

  test('malformed HTTP over a socket: no 5xx, every answer is the envelope', async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(malformed, async (text) => {
        const r = await rawRequest(reg.url, Buffer.from(text, 'latin1'), { halfClose: true });
        // A request the server is still waiting to complete is closed without an answer when we hang up.
        if (r.status === 0) return;
        answered++;
        assertSound(r, text);
      }),
      { seed: SEED, numRuns: 200, endOnFailure: true, includeErrorInReport: true },
    );
    assert.ok(answered >= 100, `only ${answered} of 200 malformed requests were answered: the property checked little`);
  });

  test('the server still serves afterwards', async () => {
    assert.equal((await call(reg.url, 'GET', '/nodes')).status, 200);
    assert.equal((await call(reg.url, 'GET', `/check_user/${handle}`)).status, 200);
    assert.equal((await call(reg.url, 'POST', '/api/circuits/fuzz/challenge', {})).status, 200);
    assert.equal((await call(reg.url, 'GET', '/api/health')).status, 200);
  });
});
