// The node directory's wire contract: request and reply schemas, shared by the server's routes and the SDK.
import { Type } from 'typebox';
import { PublicIdentitySchema, U64 } from './wire-identity.js';

const str = (description: string, maxLength = 4096) => Type.String({ description, maxLength });

export const EnvelopeSchema = Type.Object(
  {
    kid: str('envelope key id, 8 bytes hex', 64),
    sender_pubkey: str('sender X25519 public key, 32 bytes hex', 256),
    nonce: str('XChaCha20-Poly1305 nonce, 24 bytes hex', 256),
    ciphertext: str('standard base64 (padding optional), Poly1305 tag appended', 2_800_000),
  },
  { additionalProperties: false, $id: 'IdentityEnvelope' },
);

export const RegisterBody = Type.Object(
  { handle: str('user id, 32 bytes hex', 256), envelope: EnvelopeSchema },
  { additionalProperties: false },
);
export const ResolveBody = Type.Object(
  {
    handle: str('user id, 32 bytes hex', 256),
    requester_ephemeral_pubkey_hex: str('X25519 public key the answer is sealed to', 256),
  },
  { additionalProperties: false },
);
export const ResolveReply = Type.Object({ handle: Type.String(), envelope: Type.Union([EnvelopeSchema, Type.Null()]) });
export const AnnounceBody = Type.Object(
  {
    user_id: str('user id, 32 bytes hex', 256),
    addr: str('where the user is reachable: ≤ 256 bytes once trimmed, not blank, no control characters', 4096),
    ts_ms: U64('client time in milliseconds, not 0'),
  },
  { additionalProperties: false },
);
/** Every item must be a well-formed PublicIdentity (else the whole batch is refused); invalid ones are skipped. */
export const SyncBody = (maxItems: number) =>
  Type.Object({ identities: Type.Array(PublicIdentitySchema, { maxItems }) }, { additionalProperties: false });
export const NodeInfo = Type.Object({ base_url: Type.String({ maxLength: 4096 }) }, { additionalProperties: false });
export const NodesPayload = Type.Object(
  { nodes: Type.Array(NodeInfo, { maxItems: 10_000 }) },
  { additionalProperties: false },
);
export const OkReply = Type.Object({ ok: Type.Boolean() });
export const MergedReply = Type.Object({ merged: Type.Integer() });
export const ExistsReply = Type.Object({ exists: Type.Boolean() });
export const CheckUserParams = Type.Object({ handle: Type.String({ maxLength: 256 }) });
export const EnvelopePubkey = Type.Object({
  kid_hex: Type.String(),
  x25519_public_key_hex: Type.String(),
  active: Type.Boolean(),
  not_after_epoch_ms: Type.Optional(Type.Integer()),
});
export const PowChallengeReply = Type.Object({
  challenge: Type.String(),
  difficulty: Type.Integer(),
  expires_ms: Type.Integer(),
});
