import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { BODY_LIMIT } from '../../src/http/base.js';
import { identityFor } from '../helpers/directory-client.js';
import { call, startTestRegistry } from '../helpers/registry.js';

describe('Content-Encoding of request bodies', () => {
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  before(async () => {
    reg = await startTestRegistry({ rate_limit: { enabled: false } });
  });
  after(() => reg.close());

  const post = async (body: Buffer, encoding: string) => {
    const r = await fetch(`${reg.url}/announce`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  const announce = (name: string) =>
    Buffer.from(JSON.stringify({ user_id: identityFor(name).user_id, addr: '203.0.113.5:4000', ts_ms: 5 }));

  test('gzip and deflate bodies are decoded', async () => {
    assert.deepEqual((await post(gzipSync(announce('gz')), 'gzip')).body, { ok: true });
    assert.deepEqual((await post(gzipSync(announce('xgz')), 'x-gzip')).body, { ok: true });
    assert.deepEqual((await post(deflateSync(announce('df')), 'Deflate')).body, { ok: true });
    assert.deepEqual((await post(announce('id'), 'identity')).body, { ok: true });
  });

  test('a body that is not what its encoding says is 400; an unknown encoding is 415', async () => {
    const bad = await post(Buffer.from('{"not":"gzip"}'), 'gzip');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /not valid gzip/);
    const truncated = gzipSync(announce('cut'));
    assert.equal((await post(truncated.subarray(0, truncated.length - 6), 'gzip')).status, 400);
    for (const encoding of ['br', 'compress', 'gzip, gzip']) {
      const r = await post(gzipSync(announce('enc')), encoding);
      assert.equal(r.status, 415, encoding);
      assert.equal(r.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('a zip bomb is cut at the decoded size limit: 413, memory bounded, the server still serves', async () => {
    // 1 GiB of spaces (valid JSON whitespace) in about 1 MiB of gzip: 1024 gzip members of 1 MiB each (a
    // decoder reads them all), so the test never holds the 1 GiB itself. Decoded in full it would take 1 GiB.
    const bomb = Buffer.concat(Array<Buffer>(1024).fill(gzipSync(Buffer.alloc(1024 ** 2, 0x20), { level: 9 })));
    assert.ok(bomb.length < BODY_LIMIT, 'the compressed bomb itself is within the limit');
    const rssBefore = process.memoryUsage().rss;
    const results = await Promise.all([1, 2, 3, 4].map(() => post(bomb, 'gzip')));
    const grown = process.memoryUsage().rss - rssBefore;
    for (const r of results) {
      assert.equal(r.status, 413);
      assert.equal(r.body.error.code, 'PAYLOAD_TOO_LARGE');
      assert.match(r.body.error.message, /decoded body exceeds/);
    }
    // Four bombs at once: each may hold the 2 MiB limit; nowhere near the 4 GiB they expand to.
    assert.ok(grown < 256 * 1024 ** 2, `RSS grew by ${Math.round(grown / 1024 ** 2)} MiB`);
    // Just under the limit still decodes (and is then judged as JSON).
    const padded = Buffer.concat([announce('padded'), Buffer.alloc(BODY_LIMIT - 200, 0x20)]);
    assert.deepEqual((await post(gzipSync(padded), 'gzip')).body, { ok: true });
    assert.equal((await call(reg.url, 'GET', '/nodes')).status, 200);
  });
});
