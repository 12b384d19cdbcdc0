// Config sections of the /api half: circuits, admin, ledger, proof and guess budget, ceremony, demo, audit, metrics.
import { Type } from 'typebox';

// Sections of the /api half (circuit registry, ledger, proof gateway). Key entries rotate like the
// envelope keys: several may be listed, `active` ones are used for new work, any unexpired one is accepted.

const hex = (bytes: number, description: string) =>
  Type.String({ pattern: `^[0-9a-fA-F]{${bytes * 2}}$`, description });

const KeyEntry = (field: string, what: string) =>
  Type.Object(
    {
      kid_hex: hex(8, 'kid_hex must be 8 bytes hex'),
      [field]: hex(32, `${field} must be 32 bytes hex (${what})`),
      active: Type.Boolean(),
      not_after_epoch_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    },
    { additionalProperties: false },
  );

export const CircuitSealingKey = KeyEntry('x25519_private_key_hex', 'X25519 private key that unseals circuit secrets');
export const ReceiptKey = KeyEntry('ed25519_private_key_hex', 'Ed25519 seed that signs receipts');

export const CircuitsSection = Type.Object(
  {
    /** Content-addressed artifact files (SQLite/memory stores); PostgreSQL keeps artifacts in the database. */
    artifact_dir: Type.Optional(Type.String({ minLength: 1 })),
    /** Ed25519 public keys (hex) whose manifest signatures are accepted at publish. */
    publisher_public_keys_hex: Type.Array(hex(32, 'publisher_public_keys_hex entries must be 32 bytes hex'), {
      default: [],
    }),
    /** X25519 keys that unseal minted circuit secrets; generated into state_dir when absent. */
    sealing_keys: Type.Optional(Type.Array(CircuitSealingKey, { minItems: 1 })),
    max_artifact_bytes: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
  },
  { additionalProperties: false, default: {} },
);

export const AdminSection = Type.Object(
  {
    /** SHA-256 (hex) of admin bearer tokens allowed to publish and revoke. */
    token_sha256_hex: Type.Array(hex(32, 'token_sha256_hex entries must be 32 bytes hex'), { default: [] }),
    /** With mTLS: client certificates verified by [tls].client_ca_pem_path may publish and revoke. */
    allow_mtls: Type.Boolean({ default: false }),
  },
  { additionalProperties: false, default: {} },
);

export const LedgerSection = Type.Object(
  {
    /** Empty: the embedded ledger (same store). Otherwise the URL of an `enigma-registry ledger` service. */
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** Ledgers a client may pick with `x-eni6ma-ledger-url`; anything else is refused before any request. */
    allowed_urls: Type.Array(Type.String({ pattern: '^https?://' }), { default: [] }),
    ttl_seconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
    /** Longest TTL a caller of `POST /reserve` may ask for. */
    max_ttl_seconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 3_600 }),
    /** How long spent/expired nonces are remembered so that late calls get 410/409 rather than 404. */
    retain_seconds: Type.Integer({ minimum: 60, default: 86_400 }),
    /** How often expired nonces become tombstones and old ones are forgotten. */
    prune_interval_seconds: Type.Integer({ minimum: 1, default: 60 }),
    /** Bound of the memory backend (nonces; ledger events; audit events); the oldest are forgotten first. */
    max_entries: Type.Integer({ minimum: 100, default: 100_000 }),
    /** Per-request timeout when the ledger is remote. */
    timeout_ms: Type.Integer({ minimum: 100, maximum: 60_000, default: 3_000 }),
    /** Listen address of the standalone `enigma-registry ledger` service. */
    address: Type.String({ default: '127.0.0.1:8444' }),
  },
  { additionalProperties: false, default: {} },
);

export const ProofSection = Type.Object(
  {
    /** Issuer (`iss`) of receipts; defaults to the registry's own base URL. */
    issuer: Type.Optional(Type.String({ minLength: 1 })),
    receipt_ttl_seconds: Type.Integer({ minimum: 1, default: 600 }),
    receipt_keys: Type.Optional(Type.Array(ReceiptKey, { minItems: 1 })),
    /** 32-byte hex HMAC secret for challenge seeds; generated into state_dir when absent. */
    seed_secret_hex: Type.Optional(hex(32, 'seed_secret_hex must be 32 bytes hex')),
    /**
     * Guessing limits (README "Guessing budget"). Per (handle, client): `lockout_after` wrong answers lock
     * that client out of that handle; each one counts for `lockout_seconds`.
     */
    lockout_after: Type.Integer({ minimum: 1, default: 5 }),
    lockout_seconds: Type.Integer({ minimum: 1, default: 7200 }),
    /** Per handle, from all clients: wrong answers an hour before only clients without a recent failure are served. */
    guesses_per_hour: Type.Number({ exclusiveMinimum: 0, default: 3 }),
    /** Recent wrong answers at a handle before its challenges cost proof of work, and that work's range in bits. */
    pow_free_failures: Type.Number({ minimum: 0, default: 1 }),
    pow_min_difficulty: Type.Integer({ minimum: 1, maximum: 30, default: 12 }),
    pow_max_difficulty: Type.Integer({ minimum: 1, maximum: 30, default: 20 }),
    /** Per-IP and per-handle budgets (requests per second, with bursts of `burst`). */
    challenge_rps: Type.Number({ exclusiveMinimum: 0, default: 20 }),
    validate_rps: Type.Number({ exclusiveMinimum: 0, default: 20 }),
    cli_rps: Type.Number({ exclusiveMinimum: 0, default: 5 }),
    binary_rps: Type.Number({ exclusiveMinimum: 0, default: 5 }),
    handle_rps: Type.Number({ exclusiveMinimum: 0, default: 200 }),
    burst: Type.Integer({ minimum: 1, default: 40 }),
  },
  { additionalProperties: false, default: {} },
);

/** An origin as a browser serialises it: scheme, host and optional port, no path or trailing slash. */
const Origin = (key: string) =>
  Type.String({
    pattern: '^https?://[^/?#@\\s]+$',
    description: `${key} entries must be origins such as https://rp.example`,
  });

export const CeremonySection = Type.Object(
  {
    /** Relying parties the hosted ceremony page may send the receipt to with `?return_to=` (URL fragment). */
    return_to_origins: Type.Array(Origin('return_to_origins'), { default: [] }),
    /** Relying parties that may open (or frame) the page and receive the receipt by postMessage. */
    opener_origins: Type.Array(Origin('opener_origins'), { default: [] }),
  },
  { additionalProperties: false, default: {} },
);

export const DemoSection = Type.Object(
  {
    /**
     * Publish the local demo circuit `demo` (the reference sixzone circuit with a public, documented secret)
     * at start. On when no config file is given; off otherwise unless set here. Never on a shared registry.
     */
    enabled: Type.Boolean({ default: false }),
  },
  { additionalProperties: false, default: {} },
);

export const AuditSection = Type.Object(
  {
    /**
     * Key of the audit `actor` hash (HMAC-SHA256 of the client address). Replicas must share it so that one
     * client's events correlate across them; generated into state_dir/audit.json when absent.
     */
    salt_hex: Type.Optional(hex(32, 'salt_hex must be 32 bytes hex')),
    /** Events older than this many days are deleted by the periodic GC; 0 keeps them forever. */
    retain_days: Type.Integer({ minimum: 0, maximum: 36_500, default: 0 }),
  },
  { additionalProperties: false, default: {} },
);

export const MetricsSection = Type.Object(
  {
    /** Serve `GET /metrics` (Prometheus text format) and count what it reports. */
    enabled: Type.Boolean({ default: false }),
    /** Without an admin bearer token (for a scraper on a private network); otherwise admin only. */
    public: Type.Boolean({ default: false }),
  },
  { additionalProperties: false, default: {} },
);
