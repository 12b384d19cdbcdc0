// Loading the TOML config: defaults filled, schema errors that name the key, cross-field checks, listen address.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import Value from 'typebox/value';
import { ConfigSchema, type Config } from './schema.js';

/** A configuration problem; the message names the key. The CLI prints it and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

function keyOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
}

function schemaAt(instancePath: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = ConfigSchema as unknown as SchemaNode;
  for (const part of instancePath.split('/').slice(1)) {
    if (!node) return undefined;
    node = /^\d+$/.test(part) ? node.items : node.properties?.[part];
  }
  return node;
}

function describe(error: {
  keyword: string;
  instancePath: string;
  message: string;
  params: unknown;
}): string | undefined {
  const key = keyOf(error.instancePath);
  if (error.keyword === 'boolean') return `unknown key \`${key}\``; // additionalProperties: false
  if (error.keyword === 'additionalProperties') return undefined; // reported per key above
  if (error.keyword === 'required') {
    const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
    return missing.map((m) => `missing key \`${key ? `${key}.` : ''}${m}\``).join('; ');
  }
  const node = schemaAt(error.instancePath);
  // Hex fields carry their human message ("pepper_hex must be 32 bytes hex") as description.
  if (error.keyword === 'pattern' && node?.description) return `${key}: ${node.description}`;
  return `${key || 'config'}: ${error.message}`;
}

/** Validates a parsed TOML document (or `{}`), fills defaults and checks cross-field rules. */
export function resolveConfig(raw: unknown): Config {
  const withDefaults = Value.Default(ConfigSchema, withStoragePath(structuredClone(raw ?? {})));
  const problems = [...Value.Errors(ConfigSchema, withDefaults)]
    .map((e) => describe(e as Parameters<typeof describe>[0]))
    .filter((m): m is string => !!m);
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join('\n'));
  const config = withDefaults as Config;
  crossCheck(config);
  return config;
}

/** The SQLite file defaults to `<state_dir>/registry.sqlite3`, so a config that moves state_dir moves the data too. */
function withStoragePath(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const r = raw as { state_dir?: unknown; storage?: unknown };
  const storage = r.storage === undefined ? {} : r.storage;
  if (typeof storage !== 'object' || storage === null || 'path' in storage) return raw;
  const stateDir = typeof r.state_dir === 'string' && r.state_dir !== '' ? r.state_dir : './data';
  return { ...r, storage: { ...storage, path: join(stateDir, 'registry.sqlite3') } };
}

function crossCheck(c: Config): void {
  parseAddress(c.address);
  if (c.mode === 'tls' && !c.tls)
    throw new ConfigError('mode = "tls" needs a [tls] section with cert_pem_path and key_pem_path');
  if (c.envelope) {
    const kids = c.envelope.keys.map((k) => k.kid_hex.toLowerCase());
    const dup = kids.find((k, i) => kids.indexOf(k) !== i);
    if (dup) throw new ConfigError(`envelope.keys: kid_hex ${dup} appears twice; kids must be unique`);
    if (!c.envelope.keys.some((k) => k.active)) throw new ConfigError('envelope.keys: at least one key must be active');
  }
  if (c.sync.allow_anonymous && !c.allow_sync)
    throw new ConfigError('sync.allow_anonymous = true needs allow_sync = true');
  if (c.http.headers_timeout_seconds > c.http.request_timeout_seconds)
    throw new ConfigError(
      'http.headers_timeout_seconds must not exceed http.request_timeout_seconds (the headers are part of the request)',
    );
  if ((c.storage.kind === 'sqlite' || c.storage.kind === 'sled') && c.storage.path === '')
    throw new ConfigError(`storage.path must name a file when storage.kind = "${c.storage.kind}"`);
  if (c.storage.kind === 'postgres' && !c.storage.url)
    throw new ConfigError('storage.url is required when storage.kind = "postgres"');
  if (c.rate_limit.store === 'redis' && !c.rate_limit.redis_url)
    throw new ConfigError('rate_limit.redis_url is required when rate_limit.store = "redis"');
  for (const p of c.trusted_proxies) {
    const [ip, bits, extra] = p.split('/');
    const family = isIP(ip ?? '');
    const max = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max)))
      throw new ConfigError(`trusted_proxies: "${p}" is not an IP address or CIDR`);
  }
}

/** `host:port`, `[v6]:port`; port 0 picks a free port. */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !(port >= 0 && port <= 65535) || !isIP(host))
    throw new ConfigError(`address: "${address}" must be IP:PORT (e.g. 0.0.0.0:8443)`);
  return { host, port };
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    throw new ConfigError(`${path} is not valid TOML: ${(e as Error).message}`);
  }
  return resolveConfig(raw);
}
