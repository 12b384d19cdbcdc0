import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../src/errors.js';
import { MAX_JSON_DEPTH, parseJsonBody } from '../../src/http/json-body.js';
import { identityFor, sealTo } from '../helpers/directory-client.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { VECTOR, VECTOR_ENVELOPE_CONFIG as envelope, VECTOR_SERVER_KEY as serverKey } from '../directory/vector.js';

const api = { integersOnly: false };
const directory = { integersOnly: true };
const parse = (text: string | Buffer, rules = api) =>
  parseJsonBody(Buffer.isBuffer(text) ? text : Buffer.from(text), rules);

/** parseJsonBody refuses `text` with INVALID_INPUT; returns the message. */
function refused(text: string | Buffer, rules = api, match?: RegExp): string {
  let caught: unknown;
  try {
    parse(text, rules);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ApiError, `not refused: ${String(text).slice(0, 80)}`);
  assert.equal(caught.code, 'INVALID_INPUT');
  if (match) assert.match(caught.message, match);
  return caught.message;
}

describe('JSON body parser', () => {
  test('an ordinary body parses as JSON.parse would', () => {
    const body = {
      handle: 'ab'.repeat(32),
      envelope: { kid: '00', nonce: 'x"y\\z', list: [1, -2, 0, 9007199254740991, { a: null, b: true }] },
      s: 'é ☃ 😀',
    };
    assert.deepEqual(parse(JSON.stringify(body)), body);
    assert.deepEqual(parse(JSON.stringify(body), directory), body);
    // the same key in different objects is not a duplicate
    assert.deepEqual(parse('{"a":{"a":1},"b":[{"a":2},{"a":3}]}'), { a: { a: 1 }, b: [{ a: 2 }, { a: 3 }] });
    // keys look like values only after a colon: strings in arrays are not keys
    assert.deepEqual(parse('{"a":["a","a"]}'), { a: ['a', 'a'] });
  });

  test('duplicate keys are refused, also when written with escapes, also in large objects', () => {
    assert.match(refused('{"handle":"zz","handle":"ab"}', api, /body\.handle appears twice/), /handle/);
    refused('{"handle":"zz","h\\u0061ndle":"ab"}', api, /body\.handle appears twice/);
    refused('{"a":{"x":1,"y":{},"x":2}}', api, /body\.a\.x appears twice/);
    refused('{"l":[0,{"k":1,"k":1}]}', api, /body\.l\.1\.k appears twice/);
    const many = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    assert.equal(Object.keys(parse(`{${many.join(',')}}`) as object).length, 40);
    refused(`{${many.join(',')},"k3":0}`, api, /body\.k3 appears twice/);
  });

  test('a UTF-8 BOM, bytes that are not UTF-8, an empty body and a non-object top level are refused', () => {
    refused(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]), api, /byte-order mark/);
    refused(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), api, /UTF-8/);
    refused('', api, /empty/);
    for (const top of ['null', '1', '"s"', 'true', '[]']) refused(top, api, /must be a JSON object/);
    refused('{"a":', api, /not valid JSON/);
  });

  test('nesting is bounded before parsing: a 200k-deep body is a 400, not a stack overflow', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.equal(JSON.stringify(parse(`{"a":${deep(MAX_JSON_DEPTH - 1)}}`)), `{"a":${deep(MAX_JSON_DEPTH - 1)}}`);
    refused(`{"a":${deep(MAX_JSON_DEPTH)}}`, api, new RegExp(`nested deeper than ${MAX_JSON_DEPTH}`));
    refused('['.repeat(200_000), api, /nested deeper/);
    refused('{"a":'.repeat(200_000), api, /nested deeper/);
    // brackets inside strings are text, not nesting
    assert.deepEqual(parse(`{"a":"${'['.repeat(1000)}"}`), { a: '['.repeat(1000) });
  });

  test('prototype poisoning keys are refused as Fastify refused them, escaped forms included', () => {
    refused('{"__proto__":{"admin":true}}', api, /forbidden key/);
    refused('{"a":[{"\\u005f_proto__":1}]}', api, /body\.a\.0\.__proto__ is a forbidden key/);
    refused('{"constructor":{"prototype":{"x":1}}}', api, /body\.constructor\.prototype is a forbidden key/);
    assert.deepEqual(parse('{"constructor":1,"prototype":2}'), { constructor: 1, prototype: 2 });
  });

  test('integers beyond 2^53-1 are refused, never rounded; fractions and exponents only where integers are the rule', () => {
    for (const big of ['18446744073709551616', '9007199254740993', '-9007199254740992', '1'.repeat(400)]) {
      refused(`{"ts_ms":${big}}`, api, /body\.ts_ms .* is beyond 2\^53-1/);
    }
    assert.deepEqual(parse('{"ts_ms":9007199254740991,"n":-9007199254740991}', directory), {
      ts_ms: 9007199254740991,
      n: -9007199254740991,
    });
    refused('{"ts_ms":1.0}', directory, /body\.ts_ms 1\.0 is not an integer/);
    refused('{"x":[1,1e3]}', directory, /body\.x\.1 1e3 is not an integer/);
    assert.deepEqual(parse('{"a":1.5,"b":-2e-3,"c":1E2}', api), { a: 1.5, b: -2e-3, c: 100 });
    refused('{"a":1e999}', api, /out of range/);
  });
});

describe('JSON bodies over HTTP', () => {
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  before(async () => {
    reg = await startTestRegistry({ envelope, rate_limit: { enabled: false } });
  });
  after(() => reg.close());

  const post = (path: string, body: string | Buffer, contentType = 'application/json') =>
    fetch(reg.url + path, {
      method: 'POST',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers: { 'content-type': contentType },
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  const registerBody = (name: string) => {
    const who = identityFor(name);
    return {
      who,
      body: JSON.stringify({ handle: who.user_id, envelope: sealTo(serverKey, VECTOR.pepperHex, who.user_id, who) }),
    };
  };

  test('a duplicate key that would make /register valid (last key wins) is refused and stores nothing', async () => {
    const { who, body } = registerBody('dup-key');
    const r = await post('/register', `{"handle":"zz",${body.slice(1)}`);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    assert.equal(r.body.error.details[0].field, 'body.handle');
    assert.deepEqual((await call(reg.url, 'GET', `/check_user/${who.user_id}`)).body, { exists: false });
  });

  test('a BOM before a valid /register is refused and stores nothing; the same body without it registers', async () => {
    const { who, body } = registerBody('bom');
    const r = await post('/register', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]));
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.error.message, /byte-order mark/);
    assert.deepEqual((await call(reg.url, 'GET', `/check_user/${who.user_id}`)).body, { exists: false });
    assert.equal((await post('/register', body)).status, 200);
  });

  test('directory numbers: 1.0 and 1e3 are not integers; 2^64 and 2^53+1 are refused with a message, not rounded', async () => {
    const id = identityFor('numbers').user_id;
    const announce = (ts: string) => post('/announce', `{"user_id":"${id}","addr":"203.0.113.5:4000","ts_ms":${ts}}`);
    for (const ts of ['1.0', '1e3']) {
      const r = await announce(ts);
      assert.equal(r.status, 400, ts);
      assert.match(r.body.error.message, /body\.ts_ms .* is not an integer/);
    }
    for (const ts of ['18446744073709551616', '9007199254740993']) {
      const r = await announce(ts);
      assert.equal(r.status, 400, ts);
      assert.match(r.body.error.message, /beyond 2\^53-1/);
    }
    assert.equal((await announce('1000')).status, 200);
  });

  test('JSON media types: application/ld+json and text/json are read as JSON; text/plain stays 415', async () => {
    const id = identityFor('media').user_id;
    const body = `{"user_id":"${id}","addr":"203.0.113.5:4000","ts_ms":5}`;
    for (const type of [
      'application/ld+json',
      'text/json',
      'application/json; charset=utf-8',
      'APPLICATION/VND.API+JSON',
    ]) {
      const r = await post('/announce', body, type);
      assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`);
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      const r = await post('/announce', body, type);
      assert.equal(r.status, 415, type);
      assert.equal(r.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });
});
