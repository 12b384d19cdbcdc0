// Config sections of the node directory, as the Rust registry has them: rate limits, envelope, TLS, storage, PoW.
import { Type } from 'typebox';

// The Rust enigma-node-registry 0.0.2 sections, with its defaults. Files written for it load unchanged.

const hex = (bytes: number, description: string) =>
  Type.String({ pattern: `^[0-9a-fA-F]{${bytes * 2}}$`, description });

export const RateLimitSection = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    per_ip_rps: Type.Number({ exclusiveMinimum: 0, default: 5 }),
    burst: Type.Integer({ minimum: 1, default: 10 }),
    ban_seconds: Type.Integer({ minimum: 0, default: 300 }),
    endpoints: Type.Object(
      {
        register_rps: Type.Number({ exclusiveMinimum: 0, default: 1 }),
        resolve_rps: Type.Number({ exclusiveMinimum: 0, default: 3 }),
        check_user_rps: Type.Number({ exclusiveMinimum: 0, default: 10 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Where buckets and bans live: this process, or a Redis shared by every replica. */
    store: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory' }),
    redis_url: Type.Optional(Type.String({ minLength: 1 })),
    /** Prefix of every key the registry writes to Redis, so several deployments can share one Redis. */
    redis_key_prefix: Type.String({ default: 'enigma-registry:' }),
    /** Upper bound on tracked clients in memory; the least recently seen are dropped first. */
    max_entries: Type.Integer({ minimum: 1, default: 100_000 }),
  },
  { additionalProperties: false, default: {} },
);

export const EnvelopeKeySchema = Type.Object(
  {
    kid_hex: hex(8, 'kid_hex must be 8 bytes hex'),
    x25519_private_key_hex: hex(32, 'x25519_private_key_hex must be 32 bytes hex'),
    active: Type.Boolean(),
    not_after_epoch_ms: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export const EnvelopeSection = Type.Object(
  {
    pepper_hex: hex(32, 'pepper_hex must be 32 bytes hex'),
    keys: Type.Array(EnvelopeKeySchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const TlsSection = Type.Object(
  {
    cert_pem_path: Type.String({ minLength: 1 }),
    key_pem_path: Type.String({ minLength: 1 }),
    client_ca_pem_path: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const StorageSection = Type.Object(
  {
    kind: Type.Union([Type.Literal('memory'), Type.Literal('sqlite'), Type.Literal('sled'), Type.Literal('postgres')], {
      default: 'sqlite',
    }),
    /**
     * SQLite file (or the Rust sled directory name, served by SQLite). May be empty with kind = "memory",
     * which ignores it, as the Rust registry does (its own tests write `path = ""`); see crossCheck.
     */
    path: Type.String({ default: './data/registry.sqlite3' }), // resolveConfig puts it under state_dir
    /** PostgreSQL connection URL for kind = "postgres". */
    url: Type.Optional(Type.String({ minLength: 1 })),
    pool_size: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
    /** SQLite: past this WAL size, writes pause while a checkpoint copies it back; the WAL then starts over. */
    wal_limit_mib: Type.Integer({ minimum: 1, default: 64 }),
    /**
     * SQLite: once a sync of the WAL ends, writes gather this long before the next commit (0: commit at once).
     * Pays only with many concurrent writers; a client writing one write after another waits it out each time.
     */
    commit_window_ms: Type.Integer({ minimum: 0, maximum: 100, default: 0 }),
  },
  { additionalProperties: false, default: {} },
);

export const PresenceSection = Type.Object(
  {
    ttl_seconds: Type.Integer({ minimum: 1, default: 300 }),
    gc_interval_seconds: Type.Integer({ minimum: 1, default: 60 }),
    max_entries: Type.Integer({ minimum: 1, default: 1_000_000 }),
  },
  { additionalProperties: false, default: {} },
);

export const PowSection = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    difficulty: Type.Integer({ minimum: 1, maximum: 30, default: 18 }),
    ttl_seconds: Type.Integer({ minimum: 1, default: 120 }),
    /** Outstanding challenges kept at most; the oldest are forgotten first. */
    max_outstanding: Type.Integer({ minimum: 1, default: 100_000 }),
  },
  { additionalProperties: false, default: {} },
);

export const SyncSection = Type.Object(
  {
    /**
     * SHA-256 (hex) of bearer tokens of peer registries: with one, a peer may /sync (even when
     * `allow_sync = false`) and adds to the node list beyond the per-client share.
     */
    token_sha256_hex: Type.Array(hex(32, 'token_sha256_hex entries must be 32 bytes hex'), { default: [] }),
    max_identities: Type.Integer({ minimum: 1, default: 1000 }),
    /**
     * The Rust registry's behaviour: anyone may /sync (when `allow_sync = true`). Off by default because an
     * anonymous sync can claim any user id before its owner registers; a warning is logged at every start.
     */
    allow_anonymous: Type.Boolean({ default: false }),
  },
  { additionalProperties: false, default: {} },
);

export const NodesSection = Type.Object(
  {
    /**
     * Node urls one client (an IPv4 address or an IPv6 /64) may have in the list, so that no client can
     * fill `max_nodes` alone; authenticated peers (sync token, mTLS client certificate) are bounded only
     * by `max_nodes`.
     */
    max_per_client: Type.Integer({ minimum: 0, default: 16 }),
  },
  { additionalProperties: false, default: {} },
);
