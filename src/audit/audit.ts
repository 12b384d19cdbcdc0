// The audit trail of proof steps: clients appear only as a salted hash of their address.
import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { loadOrCreateSecret } from '../config/state.js';
import type { AuditStore } from '../storage/audit.js';

/** Audit `actor`: HMAC-SHA256(salt, ip) in hex, so events from one client correlate without storing its address. */
export function hashActor(ip: string, salt: Uint8Array): string {
  return createHmac('sha256', salt).update(ip).digest('hex');
}

/** The audit trail as the proof flow uses it: `ctx.audit.append({..., actor: ctx.audit.actor(req.ip)})`. */
export interface Audit extends AuditStore {
  actor(ip: string): string;
}

/** The salt: `audit.salt_hex` (shared by replicas), else generated into state_dir on first run and kept, so hashes stay comparable. */
export function createAudit(store: AuditStore, config: Config): Audit {
  const salt_hex =
    config.audit.salt_hex ??
    loadOrCreateSecret(config.state_dir, 'audit', () => ({ salt_hex: randomBytes(32).toString('hex') })).value.salt_hex;
  const salt = Buffer.from(salt_hex, 'hex');
  return {
    append: (e) => store.append(e),
    list: (o) => store.list(o),
    prune: (before) => store.prune(before),
    actor: (ip) => hashActor(ip, salt),
  };
}
