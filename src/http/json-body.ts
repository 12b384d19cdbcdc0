// Strict JSON request bodies: refuses duplicate keys, unsafe integers, deep nesting, bad UTF-8 and poisoning keys.
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { invalidField, invalidInput } from '../errors.js';

/** Deepest nesting of objects and arrays a body may have; refused before JSON.parse ever sees it. */
export const MAX_JSON_DEPTH = 64;

/** application/json, text/json and every structured `+json` type (RFC 6839), e.g. application/ld+json. */
const JSON_MEDIA_TYPES = ['application/json', 'text/json', /^application\/[^\s;/]+\+json(?:;|$)/];

export interface JsonBodyRules {
  /** Refuse numbers written with a fraction or exponent: every number of the directory's wire format is a u64. */
  integersOnly: boolean;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const PLUS = 43;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

/** Index of the quote that closes the string opened at `open` (a quote preceded by an even run of backslashes). */
function stringEnd(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q === -1) return text.length; // unterminated: JSON.parse refuses it
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}

function fieldPath(at: (string | number)[], depth: number): string {
  let path = 'body';
  for (let d = 0; d < depth; d++) path += `.${at[d]}`;
  return path;
}

/** Keys of one object: a short array while small (cheaper than a Set for the usual handful), a Set beyond that. */
type Keys = string[] | Set<string>;
const SMALL_OBJECT = 16;

/** Adds `key`; false if it was already there. */
function addKey(keys: Keys[], level: number, key: string): boolean {
  const seen = keys[level]!;
  if (Array.isArray(seen)) {
    if (seen.includes(key)) return false;
    if (seen.length < SMALL_OBJECT) seen.push(key);
    else keys[level] = new Set(seen).add(key);
    return true;
  }
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

const shown = (literal: string) => (literal.length > 40 ? `${literal.slice(0, 40)}…` : literal);

/**
 * One pass over the text, before JSON.parse: refuses what JSON.parse would silently read one of several
 * ways (a duplicate key: last wins; an integer beyond 2^53−1: rounded), nesting deeper than MAX_JSON_DEPTH
 * (so a 200k-deep body costs one scan, not a deep parse), and the keys of prototype poisoning that
 * Fastify's default parser (secure-json-parse) refuses: `__proto__`, and `prototype` inside `constructor`.
 * This scan sees every decoded key anyway, so it does that check without secure-json-parse's second pass
 * over the text. Syntax is left to JSON.parse.
 */
function scan(text: string, rules: JsonBodyRules): void {
  // Per open container: its keys so far (objects) or undefined (arrays), and the member being read, for messages.
  const keys: (Keys | undefined)[] = [];
  const at: (string | number)[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        // Escapes make `"a"` and `"\u0061"` the same key; JSON.parse decodes them (and refuses bad ones).
        let key = raw;
        if (raw.includes('\\')) {
          try {
            key = JSON.parse(`"${raw}"`) as string;
          } catch {
            throw invalidInput('body is not valid JSON', { reason: `bad escape in key "${shown(raw)}"` });
          }
        }
        const depth = keys.length;
        at[depth - 1] = key;
        if (key === '__proto__' || (key === 'prototype' && at[depth - 2] === 'constructor')) {
          throw invalidField(fieldPath(at, depth), 'is a forbidden key (prototype poisoning)');
        }
        if (!addKey(keys as Keys[], depth - 1, key))
          throw invalidField(
            fieldPath(at, depth),
            'appears twice in one object (a body must not be readable two ways)',
          );
        expectKey = false;
      }
      i = end;
    } else if (c === LBRACE || c === LBRACKET) {
      if (keys.length === MAX_JSON_DEPTH) throw invalidField('body', `is nested deeper than ${MAX_JSON_DEPTH} levels`);
      const isObject = c === LBRACE;
      keys.push(isObject ? [] : undefined);
      at.push(isObject ? '' : 0);
      expectKey = isObject;
    } else if (c === RBRACE || c === RBRACKET) {
      keys.pop();
      at.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const top = keys.length - 1;
      if (keys[top]) expectKey = true;
      else if (top >= 0) at[top] = (at[top] as number) + 1;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      let j = i + 1;
      let integer = true;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if ((d >= ZERO && d <= NINE) || d === MINUS) continue;
        if (d === DOT || d === LOWER_E || d === UPPER_E || d === PLUS) integer = false;
        else break;
      }
      // Up to 15 digits an integer is always exact; only longer or non-integer literals are looked at.
      if (!integer || j - i > 15) checkNumber(text.slice(i, j), integer, rules, at, keys.length);
      i = j - 1;
    }
  }
}

function checkNumber(
  literal: string,
  integer: boolean,
  rules: JsonBodyRules,
  at: (string | number)[],
  depth: number,
): void {
  const value = Number(literal);
  if (Number.isNaN(value)) return; // not a JSON number: JSON.parse refuses it
  if (!integer && rules.integersOnly)
    throw invalidField(
      fieldPath(at, depth),
      `${shown(literal)} is not an integer (write it without a fraction or exponent)`,
    );
  if (integer && !Number.isSafeInteger(value)) {
    throw invalidField(
      fieldPath(at, depth),
      `${shown(literal)} is beyond 2^53-1 (9007199254740991), the largest integer this registry represents exactly`,
    );
  }
  if (!Number.isFinite(value)) throw invalidField(fieldPath(at, depth), `${shown(literal)} is out of range`);
}

/**
 * A request body as JSON, refusing anything that could be read two ways: a byte-order mark, bytes that are
 * not UTF-8, duplicate keys, integers JSON.parse would round; and prototype-poisoning keys. Every route takes an object, and a JSON `null`
 * would be indistinguishable from no body (Fastify validates a missing body as null), so the top level
 * must be an object.
 */
export function parseJsonBody(body: Buffer, rules: JsonBodyRules): unknown {
  if (body.length === 0) throw invalidInput('empty JSON body');
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf)
    throw invalidInput('body starts with a UTF-8 byte-order mark; send the JSON alone');
  if (!isUtf8(body)) throw invalidInput('body is not valid UTF-8');
  const text = body.toString('utf8');
  scan(text, rules);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalidInput('body is not valid JSON', { reason: (e as Error).message });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw invalidField('body', 'must be a JSON object');
  return parsed;
}

/**
 * Makes `app` (and the plugins registered inside it) read JSON bodies with parseJsonBody. Called once on
 * every app; a plugin whose wire format needs other rules calls it again on its own scope.
 */
export function useJsonBodies(app: FastifyInstance, rules: JsonBodyRules = { integersOnly: false }): void {
  const parser = (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    let parsed: unknown;
    try {
      parsed = parseJsonBody(body as Buffer, rules);
    } catch (e) {
      done(e as Error);
      return;
    }
    done(null, parsed);
  };
  for (const type of JSON_MEDIA_TYPES) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    app.addContentTypeParser(type, { parseAs: 'buffer' }, parser);
  }
}
