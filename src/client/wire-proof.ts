// The proof flow's wire contract: challenge, validate and CLI proxy schemas, shared by the server and the SDK.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from './encoding.js';
import { Type } from 'typebox';

export const NonceUuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'nonce (UUID) from the challenge',
});

export const CircuitRef = Type.Object({ handle: Type.String(), build_id: Type.String(), sha256: Type.String() });

export const ChallengeReply = Type.Object({
  nonce_uuid: Type.String(),
  tau: Type.String({ description: 'opaque; echo it back unchanged in the validate payload' }),
  expires_at: Type.String({ format: 'date-time', description: 'when the nonce expires (RFC 3339, UTC)' }),
  circuit: CircuitRef,
  challenge: Type.Unknown({ description: "the circuit's challenge data (its `challenge` command's JSON output)" }),
});

export const ValidateBody = Type.Object(
  {
    kind: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'label of the response kind (e.g. "bearings"); passed to the circuit as payload.kind',
    }),
    nonce_uuid: NonceUuid,
    payload: Type.Object(
      {
        tau: Type.String({ minLength: 1, maxLength: 2048 }),
        bearings: Type.Array(Type.String({ minLength: 1, maxLength: 16, pattern: '^[^,|]+$' }), {
          minItems: 1,
          maxItems: 256,
        }),
        proof_hash: Type.String({
          pattern: '^[0-9a-fA-F]{64}$',
          description: 'SHA-256 (hex) of the UTF-8 string `nonce_uuid + "|" + tau + "|" + bearings.join(",")`',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const ValidateReply = Type.Object({
  validated: Type.Literal(true),
  receipt: Type.String({ description: 'compact EdDSA JWS; verify with /.well-known/jwks.json' }),
});

export const ExecRequest = Type.Object(
  {
    command: Type.String({ minLength: 1, maxLength: 64, description: 'must equal the {command} path segment' }),
    args: Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 32, default: [] }),
    flags: Type.Record(
      Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
      Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]),
      {
        default: {},
        maxProperties: 32,
        description: 'passed after args as `--name=value`, `--name` for true; false is omitted',
      },
    ),
    input: Type.Optional(Type.Unknown({ description: "JSON written to the circuit's stdin (default {})" })),
  },
  { additionalProperties: false },
);

export const ExecReply = Type.Object({
  exit_code: Type.Union([Type.Integer(), Type.Null()]),
  stdout: Type.String(),
  stderr: Type.String(),
  duration_ms: Type.Number(),
  timed_out: Type.Boolean(),
});

export const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });

/** The string a client commits to: `nonce_uuid|tau|b1,b2,...`. */
export const proofInput = (nonceUuid: string, tau: string, bearings: readonly string[]): string =>
  `${nonceUuid}|${tau}|${bearings.join(',')}`;

/** What a client commits to and the gateway checks: hex SHA-256 of the UTF-8 proofInput. */
export function proofHash(nonceUuid: string, tau: string, bearings: readonly string[]): string {
  return bytesToHex(sha256(utf8ToBytes(proofInput(nonceUuid, tau, bearings))));
}
