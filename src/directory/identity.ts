import { Type, type Static } from 'typebox';
import Compile from 'typebox/compile';

// PublicIdentity of enigma-node-types, strict: unknown fields are refused everywhere.

const HANDLE_PATTERN = '^[0-9a-fA-F]{64}$';
const ByteArray = Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1, maxItems: 65_536 });

export const HandleSchema = Type.String({ pattern: HANDLE_PATTERN, description: '32-byte user id, hex (any case)' });

export const PublicIdentitySchema = Type.Object(
  {
    user_id: HandleSchema,
    username_hint: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    signing_public_key: ByteArray,
    encryption_public_key: ByteArray,
    signature: ByteArray,
    created_at_ms: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  },
  { additionalProperties: false, $id: 'PublicIdentity' },
);
export type PublicIdentity = Static<typeof PublicIdentitySchema>;

const check = Compile(PublicIdentitySchema);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `value` is not a valid identity, or undefined when it is. */
export function identityProblem(value: unknown): string | undefined {
  if (!check.Check(value)) {
    const first = [...check.Errors(value)][0];
    return first ? `${first.instancePath || 'identity'} ${first.message}` : 'invalid identity';
  }
  const hint = value.username_hint;
  if (hint !== null) {
    if (Buffer.byteLength(hint, 'utf8') > 64) return 'username_hint exceeds 64 bytes';
    if (CONTROL.test(hint)) return 'username_hint contains control characters';
  }
  return undefined;
}

/** The wire form, field order as the Rust registry serialises it; user ids lowercase. */
export function canonicalIdentity(i: PublicIdentity): PublicIdentity {
  return {
    user_id: i.user_id.toLowerCase(),
    username_hint: i.username_hint,
    signing_public_key: i.signing_public_key,
    encryption_public_key: i.encryption_public_key,
    signature: i.signature,
    created_at_ms: i.created_at_ms,
  };
}
