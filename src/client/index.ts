// enigma-registry/client: the browser-safe SDK (global fetch, Web Crypto, @noble, jose; no Node imports).
export { RegistryError } from './errors.js';
export type { ClientOptions, RetryPolicy } from './http.js';
export { ProofClient, proofHash, type Challenge, type ReceiptClaims, type Validated } from './proof.js';
export * from './sixzone.js';
