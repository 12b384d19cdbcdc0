// enigma-registry/client: the browser-safe SDK (global fetch, Web Crypto, @noble, jose; no Node imports).
export { RegistryError } from './errors.js';
export type { ClientOptions, RetryPolicy } from './http.js';
export {
  ProofClient,
  type Challenge,
  type ChallengeOptions,
  type ProofClientOptions,
  type ReceiptClaims,
  type Validated,
} from './proof.js';
export { proofHash } from './wire-proof.js';
export {
  DirectoryClient,
  type CallOptions,
  type DirectoryOptions,
  type EnvelopeKey,
  type RegistryNode,
} from './directory.js';
export { handleOf, openEnvelope, sealEnvelope, userIdOf, type EnvelopeWire, type SealOptions } from './envelope.js';
export {
  createIdentity,
  identitySignatureValid,
  identitySigningBytes,
  type GeneratedIdentity,
  type PublicIdentity,
} from './identity.js';
export { powSolves, solvePow, type PowChallenge, type PowProgress, type PowSolveOptions } from './pow.js';
export * from './sixzone.js';
