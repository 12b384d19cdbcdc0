// The executor's public surface: the Executor, the wasm module check, and the run types.
export { Executor, type ExecutorConfig, type ExecutorLogger, type ExecutorStats } from './executor.js';
export { checkWasmModule, type WasmCheck } from './wasm-module.js';
export type { Artifact, RunLimits, RunResult } from './types.js';
