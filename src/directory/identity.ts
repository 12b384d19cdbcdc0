// PublicIdentity of enigma-node-types, in two steps as the Rust registry has them: the wire form (what serde
// refuses while deserializing: wrong types, unknown fields, a user_id that is not hex, bytes over 255) and
// `validate()` (non-empty keys, a non-zero time, a sensible username_hint), which /sync uses to skip an item.

import Compile from 'typebox/compile';
import { MAX_HINT_BYTES, MAX_KEY_BYTES, PublicIdentitySchema, type PublicIdentity } from '../client/wire-identity.js';

const wire = Compile(PublicIdentitySchema);

export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What `validate()` finds wrong with a well-formed identity, or undefined. */
export function identityInvalid(i: PublicIdentity): string | undefined {
  for (const field of ['signing_public_key', 'encryption_public_key', 'signature'] as const) {
    if (i[field].length === 0) return `${field} is empty`;
    if (i[field].length > MAX_KEY_BYTES) return `${field} exceeds ${MAX_KEY_BYTES} bytes`;
  }
  if (i.created_at_ms === 0) return 'created_at_ms must not be 0';
  const hint = i.username_hint;
  if (hint !== undefined && hint !== null) {
    // Trimmed before the checks, as the Rust registry normalizes it; stored as sent.
    const trimmed = hint.trim();
    if (trimmed.length === 0) return 'username_hint is blank';
    if (Buffer.byteLength(trimmed, 'utf8') > MAX_HINT_BYTES) return `username_hint exceeds ${MAX_HINT_BYTES} bytes`;
    if (CONTROL.test(hint)) return 'username_hint contains control characters';
  }
  return undefined;
}

/** Why `value` is not a valid identity (wire form, then `validate()`), or undefined when it is. */
export function identityProblem(value: unknown): string | undefined {
  if (!wire.Check(value)) {
    const first = [...wire.Errors(value)][0];
    return first ? `${first.instancePath || 'identity'} ${first.message}` : 'invalid identity';
  }
  return identityInvalid(value);
}

/** The wire form, field order as the Rust registry serialises it; user ids lowercase, a missing hint null. */
export function canonicalIdentity(i: PublicIdentity): PublicIdentity {
  return {
    user_id: i.user_id.toLowerCase(),
    username_hint: i.username_hint ?? null,
    signing_public_key: i.signing_public_key,
    encryption_public_key: i.encryption_public_key,
    signature: i.signature,
    created_at_ms: i.created_at_ms,
  };
}
