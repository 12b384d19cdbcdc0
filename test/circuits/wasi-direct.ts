// A minimal in-process WASI runner with the executor's `run` signature, so the circuit tests do not depend
// on the sandboxed executor's worker pool. Not a sandbox: only for the repository's own reference circuit.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import type { Artifact, RunResult } from '../../src/executor/types.js';

const modules = new Map<string, WebAssembly.Module>();

export const directRunner = {
  async run(artifact: Artifact, command: string, args: string[], stdin: Uint8Array): Promise<RunResult> {
    let module = modules.get(artifact.sha256);
    if (!module) {
      module = await WebAssembly.compile(artifact.bytes as Uint8Array<ArrayBuffer>);
      modules.set(artifact.sha256, module);
    }
    const dir = mkdtempSync(join(tmpdir(), 'wasi-direct-'));
    const started = performance.now();
    try {
      writeFileSync(join(dir, 'in'), stdin);
      const fds = [
        openSync(join(dir, 'in'), 'r'),
        openSync(join(dir, 'out'), 'w'),
        openSync(join(dir, 'err'), 'w'),
      ] as const;
      let exit_code: number | null;
      try {
        const wasi = new WASI({
          version: 'preview1',
          args: ['circuit', command, ...args],
          env: {},
          stdin: fds[0],
          stdout: fds[1],
          stderr: fds[2],
          returnOnExit: true,
        });
        const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
        exit_code = wasi.start(instance);
      } finally {
        for (const fd of fds) closeSync(fd);
      }
      return {
        exit_code,
        stdout: readFileSync(join(dir, 'out'), 'utf8'),
        stderr: readFileSync(join(dir, 'err'), 'utf8'),
        duration_ms: performance.now() - started,
        timed_out: false,
        truncated: false,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
