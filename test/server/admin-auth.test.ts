import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { test } from 'node:test';
import { startTestRegistry } from '../helpers/registry.js';

const TOKEN = 'admin-token-for-tests';
const admin = { token_sha256_hex: [createHash('sha256').update(TOKEN).digest('hex')] };

/**
 * Starts an upload that announces `declared` bytes, sends only its first KiB, and resolves with the status
 * the registry answers while the rest has not been sent. Resolves null if the connection ends unanswered.
 */
function answerBeforeBody(
  url: string,
  method: string,
  path: string,
  declared: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; connection?: string } | null> {
  return new Promise((resolve) => {
    const req = request(
      url + path,
      { method, headers: { 'content-type': 'application/json', 'content-length': String(declared), ...headers } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body,
            ...(res.headers.connection && { connection: res.headers.connection }),
          }),
        );
        res.on('error', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', () => resolve(null));
    req.write(`{"manifest":{},"artifact_base64":"${'A'.repeat(1000)}`);
  });
}

test('admin routes refuse a stranger before reading the body: 32 concurrent 21 MiB uploads are answered 401 after their first KiB', async (t) => {
  const reg = await startTestRegistry({ admin, http: { max_connections_per_ip: 256 } }, { t });
  const huge = 21 * 1024 * 1024;
  const answers = await Promise.all([
    ...Array.from({ length: 32 }, () => answerBeforeBody(reg.url, 'POST', '/api/admin/circuits', huge)),
    answerBeforeBody(reg.url, 'POST', '/api/admin/circuits', huge, { authorization: 'Bearer wrong-token' }),
    answerBeforeBody(reg.url, 'POST', '/api/admin/revocations', 1024 * 1024),
  ]);
  for (const a of answers) {
    assert.ok(a, 'answered before the body was complete');
    assert.equal(a.status, 401);
    assert.equal(JSON.parse(a.body).error.code, 'UNAUTHORIZED');
    assert.equal(a.connection, 'close', 'the rest of the body is not received');
  }
  // The admin token still works, and the process took no harm.
  const ok = await fetch(`${reg.url}/api/audit`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
});
