import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embedSealedSecret, readSealedSecret, SEALED_SECRET_SECTION } from '../../src/executor/sealed-secret.js';
import { sixzoneBytes, wasmArtifact } from '../circuits/sixzone-artifact.js';
import { directRunner } from '../circuits/wasi-direct.js';

const payload = new TextEncoder().encode('{"v":1,"sealed":"x"}');

describe('sealed secret section', () => {
  it('embeds as a custom section that WebAssembly sees and that leaves the module working', async () => {
    const base = sixzoneBytes();
    assert.equal(readSealedSecret(base), undefined);
    const minted = embedSealedSecret(base, payload);
    assert.deepEqual(readSealedSecret(minted), payload);
    const module = new WebAssembly.Module(minted as Uint8Array<ArrayBuffer>);
    const sections = WebAssembly.Module.customSections(module, SEALED_SECRET_SECTION);
    assert.equal(sections.length, 1);
    assert.deepEqual(new Uint8Array(sections[0]!), payload);
    // The artifact's identity covers the section.
    assert.notEqual(wasmArtifact(minted).sha256, wasmArtifact(base).sha256);
    const r = await directRunner.run(wasmArtifact(minted), 'info', [], new Uint8Array());
    assert.equal(r.exit_code, 0);
    assert.equal(JSON.parse(r.stdout).circuit, 'sixzone');
  });

  it('refuses a second section and an ambiguous module', () => {
    const base = sixzoneBytes();
    const once = embedSealedSecret(base, payload);
    assert.throws(() => embedSealedSecret(once, payload), /already carries/);
    const section = once.subarray(base.length);
    const twice = new Uint8Array(once.length + section.length);
    twice.set(once, 0);
    twice.set(section, once.length);
    assert.throws(() => readSealedSecret(twice), /2 eni6ma.sealed_secret sections/);
  });

  it('refuses bytes that are not a well-framed module', () => {
    assert.throws(() => readSealedSecret(new TextEncoder().encode('#!/bin/sh\n')), /not a WebAssembly module/);
    const truncated = embedSealedSecret(sixzoneBytes(), payload).slice(0, -3);
    assert.throws(() => readSealedSecret(truncated), /truncated/);
  });
});
