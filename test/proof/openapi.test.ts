import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { call } from '../helpers/registry.js';
import { startPublishingRegistry, type TestRegistry } from './mint.js';

const TOKEN = 'openapi-test-token';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>>;
}

/**
 * Every (method, path) the server routes, read from Fastify's route tree (printRoutes), with `:p` as `{p}`.
 * Automatic HEAD routes and the Swagger UI's own asset routes are left out.
 */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*) \(([A-Z, ]+)\)$/.exec(line) ?? /^()(\S.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    if (path.startsWith('/docs')) continue;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push(`${method.toLowerCase()} ${path}`);
  }
  return out.sort();
}

describe('OpenAPI document at /api/swagger', () => {
  let reg: TestRegistry;

  before(async () => {
    ({ reg } = await startPublishingRegistry({ token: TOKEN, circuits: { alice: { symbols: 'ABCD' } } }));
  });
  after(() => reg.close());

  test('is a valid OpenAPI 3 document listing every route the server serves (directory ones too)', async () => {
    const doc = (await call(reg.url, 'GET', '/api/swagger')).body as Doc;
    assert.match(doc.openapi, /^3\./);
    await SwaggerParser.validate(structuredClone(doc) as never);
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
      .sort();
    const served = servedRoutes(reg.app.printRoutes({ commonPrefix: false }));
    assert.ok(served.length > 30, `parsed only ${served.length} routes`);
    assert.deepEqual(documented, served);
    for (const r of [
      'post /register',
      'get /check_user/{handle}',
      'post /api/circuits/{handle}/validate',
      'get /api/binaries/handle/{handle}',
      'get /.well-known/jwks.json',
    ]) {
      assert.ok(documented.includes(r), r);
    }
  });

  test("?handle=H is a valid document of only that circuit's endpoints, with the handle filled in", async () => {
    const r = await call(reg.url, 'GET', '/api/swagger?handle=alice');
    assert.equal(r.status, 200);
    const doc = r.body as Doc;
    await SwaggerParser.validate(structuredClone(doc) as never);
    const paths = Object.keys(doc.paths).sort();
    assert.ok(paths.includes('/api/circuits/alice/challenge'));
    assert.ok(paths.includes('/api/circuits/alice/validate'));
    assert.ok(paths.includes('/api/binaries/handle/alice/builds/{build_id}'));
    assert.ok(
      paths.every((p) => p.startsWith('/api/circuits/alice') || p.startsWith('/api/binaries/handle/alice')),
      paths.join(' '),
    );
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item)) assert.ok(!(op.parameters ?? []).some((p) => p.name === 'handle'));
    assert.equal((await call(reg.url, 'GET', '/api/swagger?handle=nobody')).status, 404);
    assert.equal((await call(reg.url, 'GET', '/api/swagger?handle=Not%20A%20Handle')).status, 400);
  });

  test('Swagger UI is served locally at /docs', async () => {
    const r = await fetch(`${reg.url}/docs/static/index.html`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /swagger/i);
  });
});
