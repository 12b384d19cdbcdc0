import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main as keysGen } from '../../src/cli/keys.js';
import { main as mint } from '../../src/cli/circuit-mint.js';
import { verifyManifest, type Manifest } from '../../src/circuits/manifest.js';
import { solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../../src/client/sixzone.js';
import { decodeSealedSecret } from '../../src/crypto/seal.js';
import { readSealedSecret } from '../../src/executor/sealed-secret.js';
import { validateResponse } from '../../src/executor/validate.js';
import { sixzoneBytes, wasmArtifact } from '../circuits/sixzone-artifact.js';
import { directRunner } from '../circuits/wasi-direct.js';

const dir = mkdtempSync(join(tmpdir(), 'circuit-mint-'));
const keys = join(dir, 'keys');
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, string>;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
let server: Server;
let registryUrl: string;

const mintModule = join(import.meta.dirname, '..', '..', 'src', 'cli', 'circuit-mint.js');
/** A script that runs `circuit mint` with the process arguments from `argvStart` on. */
const mintScript = (argvStart: number) =>
  `const m = await import(${JSON.stringify(mintModule)}); process.exitCode = await m.main(process.argv.slice(${argvStart}));\n`;

/** `--sealing-key` from the key folder: the sealing key of a mint that does not fetch it with `--registry`. */
const sealingKey = () => ['--sealing-key', join(keys, 'sealing.pub.json')];
/** The publisher key that signs the manifest and the folder the mint writes to. */
const signInto = (out: string) => ['--publisher-key', join(keys, 'publisher.key.json'), '--out', out];

/** Writes a secret file in the test folder and returns its path. */
function secretFile(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

/** Runs `circuit mint` in its own process (stdin not a terminal) and returns its exit code and stdout. */
async function runMint(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = mintScript(1);
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', script, '--', ...args],
      (error, stdout, stderr) => {
        resolve({ code: child.exitCode ?? (error ? 1 : 0), stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

async function proveAndValidate(out: string, handle: string, secret: SixzoneSecret, rounds: number) {
  const manifest = JSON.parse(readFileSync(join(out, `${handle}.manifest.json`), 'utf8')) as Manifest;
  const artifact = wasmArtifact(new Uint8Array(readFileSync(join(out, `${handle}.wasm`))));
  const ask = { nonce_uuid: 'n-1', tau: 't-1', seed: '3c'.repeat(32) };
  const challenge = JSON.parse(
    (await directRunner.run(artifact, 'challenge', [], enc(ask))).stdout,
  ) as SixzoneChallenge;
  assert.equal(challenge.rounds.length, rounds);
  const bearings = solveSixzone(challenge, secret);
  const sealing = readJson(join(keys, 'sealing.key.json'));
  const request = { handle, build_id: manifest.build_id, ...ask, payload: { bearings } };
  const keyList = [{ kid_hex: sealing.kid_hex!, x25519_private_key_hex: sealing.x25519_private_key_hex! }];
  assert.deepEqual(await validateResponse(directRunner, artifact, request, keyList), { valid: true });
  const wrong = bearings.map((b, i) => (i === 0 ? (b === 'N' ? 'S' : 'N') : b));
  assert.deepEqual(
    await validateResponse(directRunner, artifact, { ...request, payload: { bearings: wrong } }, keyList),
    { valid: false },
  );
}

before(async () => {
  sixzoneBytes();
  assert.equal(await keysGen(['--out', keys]), 0);
  const pub = readFileSync(join(keys, 'sealing.pub.json'));
  server = createServer((req, res) => {
    const ok = req.method === 'GET' && req.url === '/api/circuits/sealing-key';
    res
      .writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
      .end(ok ? pub : '{"error":{"code":"NOT_FOUND","message":"no"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registryUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('circuit mint', () => {
  it('mints end to end from --secret-file with a mapping: signed manifest, sealed secret, working proof', async () => {
    const out = join(dir, 'out1');
    const r = await runMint([
      ...['--handle', 'alice', '--rounds', '7', '--mapping', ...sealingKey(), ...signInto(out)],
      ...['--secret-file', secretFile('secret.txt', 'zebra9\nS SW NW N NE SE\n'), '--version', '2.1.0'],
    ]);
    assert.equal(r.code, 0);
    const wasm = readFileSync(join(out, 'alice.wasm'));
    const sha = createHash('sha256').update(wasm).digest('hex');
    assert.equal(r.stdout.trim(), sha);

    const manifest = JSON.parse(readFileSync(join(out, 'alice.manifest.json'), 'utf8')) as Manifest;
    const publisher = readJson(join(keys, 'publisher.key.json')).ed25519_public_key_hex!;
    assert.equal(verifyManifest(manifest, [publisher]), true);
    assert.deepEqual(
      {
        handle: manifest.handle,
        version: manifest.version,
        kind: manifest.kind,
        sha256: manifest.sha256,
        size: manifest.size,
      },
      { handle: 'alice', version: '2.1.0', kind: 'wasm', sha256: sha, size: wasm.length },
    );
    assert.deepEqual(manifest.commands, ['info', 'challenge', 'validate-response']);
    assert.equal(decodeSealedSecret(readSealedSecret(wasm)!).kid_hex, readJson(join(keys, 'sealing.pub.json')).kid_hex);

    // The plain secret appears nowhere in what was written.
    for (const f of ['alice.wasm', 'alice.manifest.json']) {
      const text = readFileSync(join(out, f)).toString('latin1');
      assert.ok(!text.includes('ZEBRA9') && !text.includes('zebra9'), f);
    }
    await proveAndValidate(
      out,
      'alice',
      { symbols: 'ZEBRA9', mapping: { red: 'S', orange: 'SW', yellow: 'NW', green: 'N', blue: 'NE', violet: 'SE' } },
      7,
    );
  });

  it('mints with the sealing key fetched from --registry and a JSON secret file without mapping', async () => {
    const out = join(dir, 'out2');
    const secret = secretFile('secret.json', JSON.stringify({ symbols: 'K7Q2X9' }));
    const r = await runMint([
      '--handle',
      'bob.reg',
      '--registry',
      registryUrl,
      ...signInto(out),
      '--secret-file',
      secret,
    ]);
    assert.equal(r.code, 0);
    await proveAndValidate(out, 'bob.reg', { symbols: 'K7Q2X9' }, 12);
  });

  it('refuses a secret under 6 symbols unless --allow-short-secret, which warns', async () => {
    const out = join(dir, 'out-short');
    const secret = secretFile('short.json', JSON.stringify({ symbols: 'K7Q2' }));
    const args = ['--handle', 'short', ...sealingKey(), ...signInto(out), '--secret-file', secret];
    const refused = await runMint(args);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /4 symbols; at least 6 are required/);
    assert.ok(!existsSync(out), 'nothing written');
    const allowed = await runMint([...args, '--allow-short-secret']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /WARNING: a 4-symbol secret is guessable/);
    await proveAndValidate(out, 'short', { symbols: 'K7Q2' }, 12);
  });

  it('asks for the secret with hidden input on a terminal', {
    skip: !existsSync('/usr/bin/script') && 'util-linux script is missing',
  }, async () => {
    const out = join(dir, 'tty');
    const runner = join(dir, 'run-mint.mjs');
    writeFileSync(runner, mintScript(2));
    const args = ['--handle', 'tty', ...sealingKey(), ...signInto(out)];
    // `script` gives the child a pseudo-terminal; each answer is sent once its prompt has appeared.
    const child = spawn('/usr/bin/script', ['-qec', [process.execPath, runner, ...args].join(' '), '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let seen = '';
    const answers: Array<[RegExp, string]> = [
      [/Secret \(/, 'q7k2m4\r'],
      [/Repeat the secret/, 'q7k2m4\r'],
    ];
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const next = answers[0];
      if (next?.[0].test(seen)) {
        answers.shift();
        child.stdin.write(next[1]);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, seen);
    assert.ok(!/q7k2m4/i.test(seen), `the secret was echoed: ${JSON.stringify(seen)}`);
    assert.equal(answers.length, 0);
    await proveAndValidate(out, 'tty', { symbols: 'Q7K2M4' }, 12);
  });

  it('refuses bad secrets, bad options and a missing terminal without writing anything', async () => {
    const out = join(dir, 'refused');
    const common = [...sealingKey(), ...signInto(out)];
    const cases: Array<[string[], number]> = [
      [['--handle', 'c', ...common, '--secret-file', secretFile('s1', 'AB!D\n')], 1],
      [['--handle', 'c', ...common, '--secret-file', secretFile('s2', 'ABC\n')], 1],
      [['--handle', 'c', ...common, '--secret-file', secretFile('s3', 'ABCDEFGHIJKLM\n')], 1],
      [['--handle', 'c', ...common, '--mapping', '--secret-file', secretFile('s4', 'ABCD\n')], 1],
      [['--handle', 'c', ...common, '--mapping', '--secret-file', secretFile('s5', 'ABCD\nN N SE S SW NW\n')], 1],
      [['--handle', 'c', ...common, '--secret-file', secretFile('s6', 'ABCD\nN NE SE S SW NW\n')], 1],
      [['--handle', 'Bad Handle', ...common, '--secret-file', secretFile('s7', 'ABCD')], 2],
      [['--handle', 'c', ...common, '--rounds', '0', '--secret-file', join(dir, 's7')], 2],
      [['--handle', 'c', ...common, '--registry', registryUrl, '--secret-file', join(dir, 's7')], 2],
      [['--handle', 'c', ...signInto(out), '--registry', `${registryUrl}nope`, '--secret-file', join(dir, 's7')], 1],
    ];
    // These fail before printing anything on stdout, so they run in this process.
    for (const [args, code] of cases) assert.equal(await mint(args), code, args.join(' '));
    // In its own process stdin is not a terminal: no hidden prompt, a clear refusal instead.
    assert.equal((await runMint(['--handle', 'c', ...common])).code, 1);
    assert.equal(existsSync(out), false);
  });
});
