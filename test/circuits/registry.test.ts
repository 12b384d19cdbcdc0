import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ManifestFields } from '../../src/circuits/manifest.js';
import { toBase64 } from '../../src/crypto/encoding.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { adminHeaders, newPublisher, publish, sha256Hex, signedCircuit, type Minted } from '../proof/mint.js';
import { sixzoneBytes } from './sixzone-artifact.js';

const TOKEN = 'registry-test-token';
const publisher = newPublisher();
// A module importing env.foo: compiles, but imports beyond WASI preview 1.
const BAD_IMPORTS = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 0x0b, 1, 3, 0x65, 0x6e, 0x76, 3, 0x66, 0x6f, 0x6f, 0, 0,
]);

const signed = (bytes: Uint8Array, o: Partial<ManifestFields> = {}, seed = publisher.seed): Minted =>
  signedCircuit(bytes, seed, { handle: 'plain', ...o });

for (const kind of ['sqlite', 'memory'] as const) {
  describe(`circuit catalog over HTTP (${kind} store)`, () => {
    let reg: Awaited<ReturnType<typeof startTestRegistry>>;
    let base: string;
    const wasm = sixzoneBytes();
    const v1 = signed(wasm, { handle: 'plain', version: '1.0.0', build_id: 'b1' });
    // A second build: same module with a different rounds byte would change the hash; append a custom section instead.
    const wasm2 = new Uint8Array([...wasm, 0, 4, 3, 0x78, 0x79, 0x7a]);
    const v2 = signed(wasm2, { handle: 'plain', version: '1.1.0', build_id: 'b2' });

    before(async () => {
      reg = await startTestRegistry({
        ...(kind === 'memory' && { storage: { kind: 'memory' } }),
        circuits: { publisher_public_keys_hex: [publisher.publicHex], max_artifact_bytes: 256 * 1024 },
        admin: { token_sha256_hex: [sha256Hex(TOKEN)] },
        proof: { binary_rps: 0.01, burst: 5 },
      });
      base = reg.url;
      assert.equal((await publish(base, TOKEN, v1)).status, 201);
      const r = await publish(base, TOKEN, v2);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.build_id, 'b2');
      assert.equal(r.body.binary_url, '/api/binaries/handle/plain/builds/b2');
    });
    after(() => reg.close());

    test('publishing is refused without the admin token, or for a bad manifest or artifact', async () => {
      const pub = (m: Minted, token = TOKEN) => publish(base, token, m);
      assert.equal(
        (
          await call(base, 'POST', '/api/admin/circuits', {
            manifest: v1.manifest,
            artifact_base64: toBase64(v1.bytes),
          })
        ).status,
        401,
      );
      assert.equal((await pub(signed(wasm, { handle: 'x1' }), 'wrong-token')).status, 401);
      // Signed by a key the registry does not list.
      const stranger = newPublisher();
      const s = await pub(signed(wasm, { handle: 'x2' }, stranger.seed));
      assert.equal(s.status, 403);
      assert.match(s.body.error.message, /publisher_public_keys_hex/);
      // A signed field altered afterwards.
      const altered = signed(wasm, { handle: 'x3' });
      assert.equal((await pub({ manifest: { ...altered.manifest, version: '9.9.9' }, bytes: wasm })).status, 403);
      // Bytes that do not match the manifest.
      const other = signed(wasm, { handle: 'x4' });
      const flipped = wasm.slice();
      flipped[flipped.length - 1]! ^= 1;
      const h = await pub({ manifest: other.manifest, bytes: flipped });
      assert.equal(h.status, 400);
      assert.match(h.body.error.message, /SHA-256/);
      const sized = await pub({ manifest: other.manifest, bytes: wasm.subarray(1) });
      assert.equal(sized.status, 400);
      // Not a wasm module; a module importing beyond WASI preview 1; "elf" that is not ELF.
      assert.equal((await pub(signed(new Uint8Array(2048).fill(7), { handle: 'x5' }))).status, 400);
      const imports = await pub(signed(BAD_IMPORTS, { handle: 'x6' }));
      assert.equal(imports.status, 400);
      assert.match(imports.body.error.message, /env\.foo/);
      assert.equal((await pub(signed(wasm, { handle: 'x7', kind: 'elf' }))).status, 400);
      // Over circuits.max_artifact_bytes.
      assert.equal((await pub(signed(new Uint8Array(300 * 1024), { handle: 'x8' }))).status, 413);
      // Out of schema, and not base64.
      assert.equal(
        (
          await call(
            base,
            'POST',
            '/api/admin/circuits',
            { manifest: { handle: 'x9' }, artifact_base64: '' },
            adminHeaders(TOKEN),
          )
        ).status,
        400,
      );
      assert.equal(
        (
          await call(
            base,
            'POST',
            '/api/admin/circuits',
            { manifest: v1.manifest, artifact_base64: '***' },
            adminHeaders(TOKEN),
          )
        ).status,
        400,
      );
      // A handle a static route would shadow.
      assert.equal((await pub(signed(wasm, { handle: 'sealing-key' }))).status, 400);
      // The same (handle, build_id) again.
      assert.equal((await pub(v1)).status, 409);
      // None of the refused handles exists.
      for (const h of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8'])
        assert.equal((await call(base, 'GET', `/api/circuits/${h}`)).status, 404);
    });

    test('discovery: list (paginated), circuit, manifest, verify, build-scoped variants, 404s', async () => {
      for (const h of ['a-one', 'b-two', 'c-three'])
        assert.equal((await publish(base, TOKEN, signed(wasm, { handle: h }))).status, 201);
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page: { body: { circuits: Array<{ handle: string }>; next: string | null } } = await call(
          base,
          'GET',
          `/api/circuits?limit=2${after ? `&after=${after}` : ''}`,
        );
        assert.ok(page.body.circuits.length <= 2);
        seen.push(...page.body.circuits.map((c) => c.handle));
        after = page.body.next;
      } while (after);
      assert.deepEqual(seen, ['a-one', 'b-two', 'c-three', 'plain']);

      const d = await call(base, 'GET', '/api/circuits/plain');
      assert.equal(d.body.current.build_id, 'b2');
      assert.deepEqual(
        d.body.builds.map((b: { build_id: string }) => b.build_id),
        ['b2', 'b1'],
      );
      assert.deepEqual((await call(base, 'GET', '/api/circuits/plain/manifest')).body, v2.manifest);
      assert.deepEqual((await call(base, 'GET', '/api/circuits/plain/builds/b1/manifest')).body, v1.manifest);
      assert.equal((await call(base, 'GET', '/api/circuits/plain/builds/b1')).body.version, '1.0.0');
      const ver = await call(base, 'GET', '/api/circuits/plain/builds/b1/verify');
      assert.deepEqual(ver.body, {
        handle: 'plain',
        build_id: 'b1',
        version: '1.0.0',
        sha256: v1.manifest.sha256,
        kind: 'wasm',
        size: wasm.length,
        commands: v1.manifest.commands,
        publisher_public_key_hex: publisher.publicHex,
        signature: 'valid',
        artifact: 'ok',
        revoked: false,
      });
      assert.equal((await call(base, 'GET', '/api/circuits/plain/verify')).body.build_id, 'b2');
      for (const p of [
        '/api/circuits/nope',
        '/api/circuits/nope/manifest',
        '/api/circuits/nope/verify',
        '/api/circuits/plain/builds/b9',
        '/api/circuits/plain/builds/b9/manifest',
        '/api/circuits/plain/builds/b9/verify',
      ]) {
        const r = await call(base, 'GET', p);
        assert.equal(r.status, 404, p);
        assert.equal(r.body.error.code, 'NOT_FOUND');
      }
    });

    test('binaries: headers, HEAD, Range, If-None-Match, build pinning, per-IP limit', async () => {
      const r = await fetch(`${base}/api/binaries/handle/plain`);
      assert.equal(r.status, 200);
      const body = new Uint8Array(await r.arrayBuffer());
      assert.deepEqual(body, wasm2);
      assert.equal(r.headers.get('x-eni6ma-sha256'), v2.manifest.sha256);
      assert.equal(r.headers.get('x-eni6ma-version'), '1.1.0');
      assert.equal(r.headers.get('x-eni6ma-manifest-url'), '/api/circuits/plain/builds/b2/manifest');
      assert.equal(r.headers.get('etag'), `"${v2.manifest.sha256}"`);
      assert.equal(r.headers.get('content-type'), 'application/wasm');

      const head = await fetch(`${base}/api/binaries/handle/plain/builds/b1`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('x-eni6ma-sha256'), v1.manifest.sha256);
      assert.equal(head.headers.get('content-length'), String(wasm.length));
      assert.equal((await head.arrayBuffer()).byteLength, 0);

      const part = await fetch(`${base}/api/binaries/handle/plain/builds/b1`, { headers: { range: 'bytes=4-11' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 4-11/${wasm.length}`);
      assert.deepEqual(new Uint8Array(await part.arrayBuffer()), wasm.subarray(4, 12));
      const bad = await fetch(`${base}/api/binaries/handle/plain/builds/b1`, {
        headers: { range: `bytes=${wasm.length}-` },
      });
      assert.equal(bad.status, 416);
      assert.equal(bad.headers.get('content-range'), `bytes */${wasm.length}`);
      await bad.arrayBuffer();
      const cached = await fetch(`${base}/api/binaries/handle/plain`, {
        headers: { 'if-none-match': `"${v2.manifest.sha256}"` },
      });
      assert.equal(cached.status, 304);
      await cached.arrayBuffer();
      // The 5-token budget (burst 5, refilling at 0.01/s) is spent now.
      const limited = await fetch(`${base}/api/binaries/handle/plain`);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      await limited.arrayBuffer();
    });

    if (kind === 'sqlite') {
      test('artifacts are files named by SHA-256; a corrupted one is reported, never served', async () => {
        const dir = join(reg.dir, 'artifacts');
        const files = readdirSync(dir);
        assert.ok(files.includes(v1.manifest.sha256));
        writeFileSync(join(dir, v1.manifest.sha256), new Uint8Array(wasm.length));
        assert.equal((await call(base, 'GET', '/api/circuits/plain/builds/b1/verify')).body.artifact, 'corrupt');
        assert.equal((await call(base, 'POST', '/api/circuits/plain/cli/info', { command: 'info' })).status, 200); // b2 is intact
      });
    }

    test('revocation by SHA-256 marks every build with those bytes; they cannot be published again', async () => {
      const r = await call(base, 'POST', '/api/admin/revocations', { sha256: v1.manifest.sha256 }, adminHeaders(TOKEN));
      assert.equal(r.status, 200);
      assert.equal(r.body.revoked_builds, 4); // plain/b1, a-one, b-two, c-three share the bytes
      assert.equal((await call(base, 'GET', '/api/circuits/a-one/verify')).body.revoked, true);
      assert.equal((await call(base, 'GET', '/api/circuits/plain/verify')).body.revoked, false);
      assert.equal(
        (await call(base, 'POST', '/api/admin/revocations', { sha256: v1.manifest.sha256 }, adminHeaders(TOKEN))).body
          .revoked_builds,
        0,
      );
      assert.equal((await publish(base, TOKEN, signed(wasm, { handle: 'again' }))).status, 409);
      assert.equal(
        (await call(base, 'POST', '/api/admin/revocations', { sha256: 'XYZ' }, adminHeaders(TOKEN))).status,
        400,
      );
    });
  });
}
