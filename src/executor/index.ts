export { Executor, type ExecutorConfig, type ExecutorLogger, type ExecutorStats } from './executor.js';
export { checkWasmModule, type WasmCheck } from './wasm-module.js';
export type { Artifact, RunLimits, RunResult } from './types.js';
