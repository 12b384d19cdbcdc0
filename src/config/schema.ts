// The whole registry configuration schema, assembled from its sections, and the Config type it resolves to.
import { Type, type Static } from 'typebox';
import {
  EnvelopeSection,
  NodesSection,
  PowSection,
  PresenceSection,
  RateLimitSection,
  StorageSection,
  SyncSection,
  TlsSection,
} from './sections/directory.js';
import {
  AdminSection,
  AuditSection,
  CeremonySection,
  CircuitsSection,
  DemoSection,
  LedgerSection,
  MetricsSection,
  ProofSection,
} from './sections/api.js';
import { ExecutorSection } from './sections/runtime.js';
import { HttpSection } from './sections/http.js';

const LogSection = Type.Object(
  {
    // Spelt out (not mapped from a list) so the resolved type is the union of these names.
    level: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info' },
    ),
  },
  { additionalProperties: false, default: {} },
);

/**
 * The whole configuration. Sections are filled with defaults before validation, so the resolved
 * type has every section present; `envelope` and `tls` stay optional (generated / absent).
 */
export const ConfigSchema = Type.Object(
  {
    address: Type.String({ default: '0.0.0.0:8443' }),
    mode: Type.Union([Type.Literal('http'), Type.Literal('tls')], { default: 'http' }),
    trusted_proxies: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    allow_sync: Type.Boolean({ default: true }),
    max_nodes: Type.Integer({ minimum: 0, default: 2048 }),
    /** Where generated keys and the default SQLite file live. */
    state_dir: Type.String({ minLength: 1, default: './data' }),
    rate_limit: RateLimitSection,
    envelope: Type.Optional(EnvelopeSection),
    tls: Type.Optional(TlsSection),
    http: HttpSection,
    storage: StorageSection,
    presence: PresenceSection,
    pow: PowSection,
    sync: SyncSection,
    nodes: NodesSection,
    log: LogSection,
    executor: ExecutorSection,
    circuits: CircuitsSection,
    admin: AdminSection,
    ledger: LedgerSection,
    proof: ProofSection,
    ceremony: CeremonySection,
    demo: DemoSection,
    audit: AuditSection,
    metrics: MetricsSection,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type EnvelopeKeyConfig = NonNullable<Config['envelope']>['keys'][number];

/** A configuration as a caller writes it (TOML parsed, or an object): any key may be left out for its default. */
export type ConfigInput = DeepPartial<Config>;
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};
