// The wire form of an identity (enigma-node-types' PublicIdentity) and of its handle: the one definition the
// server validates against and the SDK types its values with.
import { Type, type Static } from 'typebox';

const HANDLE_PATTERN = '^[0-9a-fA-F]{64}$';
export const MAX_KEY_BYTES = 65_536;
export const MAX_HINT_BYTES = 64;

const HandleSchema = Type.String({ pattern: HANDLE_PATTERN, description: '32-byte user id, hex (any case)' });

/**
 * A Rust `u64` as far as a JSON number keeps it exact: integers 0 ..= 2^53−1. Larger values are refused
 * rather than silently rounded.
 */
export const U64 = (description: string) =>
  Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: `${description}; an integer, at most 2^53−1`,
  });

const Bytes = (description: string) => Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { description });

export const PublicIdentitySchema = Type.Object(
  {
    user_id: HandleSchema,
    username_hint: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'absent means null' })),
    signing_public_key: Bytes(`1..=${MAX_KEY_BYTES} bytes`),
    encryption_public_key: Bytes(`1..=${MAX_KEY_BYTES} bytes`),
    signature: Bytes(`1..=${MAX_KEY_BYTES} bytes`),
    created_at_ms: U64('milliseconds since the epoch, not 0'),
  },
  { additionalProperties: false, $id: 'PublicIdentity' },
);
export type PublicIdentity = Static<typeof PublicIdentitySchema>;
