// Request and reply schemas of the circuit registry routes: builds, listings, verify, sealing key, publish, revoke.
import { Type } from 'typebox';
import { HANDLE_PATTERN, ManifestSchema } from './manifest.js';

// Route schemas of the circuit registry. The manifest schema is re-declared without its $id so that each
// route may embed it (the OpenAPI generator and the serializer then need no shared reference).

export const Manifest = Type.Object(ManifestSchema.properties, {
  additionalProperties: false,
  description: 'Signed circuit manifest',
});

export const Handle = Type.String({ pattern: HANDLE_PATTERN, description: 'circuit handle' });
export const BuildId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z][0-9A-Za-z._-]*$' });
export const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lower-case hex' });

export const HandleParams = Type.Object({ handle: Handle });
export const BuildParams = Type.Object({ handle: Handle, build_id: BuildId });

export const Build = Type.Object({
  handle: Type.String(),
  build_id: Type.String(),
  version: Type.String(),
  sha256: Type.String(),
  kind: Type.Union([Type.Literal('wasm'), Type.Literal('elf')]),
  size: Type.Integer(),
  commands: Type.Array(Type.String()),
  published_at: Type.String({ format: 'date-time' }),
  revoked: Type.Boolean(),
  manifest_url: Type.String(),
  binary_url: Type.String(),
});

export const CircuitDetail = Type.Object({
  handle: Type.String(),
  current: Build,
  builds: Type.Array(Build, { description: 'newest first' }),
});

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  after: Type.Optional(Handle),
});

export const CircuitList = Type.Object({
  circuits: Type.Array(Type.Object({ handle: Type.String(), builds: Type.Integer(), current: Build })),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as `after` for the next page; null on the last page',
  }),
});

export const VerifyReply = Type.Object({
  handle: Type.String(),
  build_id: Type.String(),
  version: Type.String(),
  sha256: Type.String(),
  kind: Type.String(),
  size: Type.Integer(),
  commands: Type.Array(Type.String()),
  publisher_public_key_hex: Type.String(),
  signature: Type.Union([Type.Literal('valid'), Type.Literal('invalid')], {
    description: 'manifest signature checked now against the configured publisher keys',
  }),
  artifact: Type.Union([Type.Literal('ok'), Type.Literal('missing'), Type.Literal('corrupt')], {
    description: 'artifact present with the manifest SHA-256',
  }),
  revoked: Type.Boolean(),
});

export const SealingKeyReply = Type.Object({ kid_hex: Type.String(), x25519_public_key_hex: Type.String() });

export const PublishBody = Type.Object(
  {
    manifest: Type.Unknown({
      description: 'the signed manifest (see CircuitManifest); checked in full by the handler',
    }),
    artifact_base64: Type.String({ description: 'the artifact bytes, standard base64' }),
  },
  { additionalProperties: false },
);

export const RevokeBody = Type.Object({ sha256: Sha256Hex }, { additionalProperties: false });
export const RevokeReply = Type.Object({ sha256: Type.String(), revoked_builds: Type.Integer() });
