// Splitting a directory route's schema into the JSON shape and the field checks run after rate limit and PoW.
import type { FastifyRequest, FastifySchema, FastifySchemaCompiler } from 'fastify';

// The Rust registry checks a request in two steps with the rate limit and PoW in between: deserializing the
// body (types, unknown fields) answers 400 for free, while field problems (lengths, hex, patterns) are
// found only after the client has paid a token and shown its proof of work. The route schemas stay the one
// contract (and the OpenAPI source); these helpers split each into those two steps.

/** Keywords about a value's content, checked after the rate limit and PoW; the rest is the JSON shape. */
const FIELD_KEYWORDS = new Set(['maxLength', 'minLength', 'pattern', 'format', 'maxItems', 'minItems']);

/** The schema without its field constraints: types, required and unknown fields, integer ranges. */
export function shapeOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(shapeOf);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (FIELD_KEYWORDS.has(key)) continue;
    // Under `properties` the keys are field names, not keywords.
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shapeOf(v)]))
        : shapeOf(value);
  }
  return out;
}

const PARTS = ['params', 'querystring', 'body'] as const;

/**
 * Checks a request against the full schema of its route (what `shapeOf` left out), throwing the same
 * validation error Fastify would, so the error envelope names the field.
 */
export function fieldCheck(
  schema: FastifySchema,
  compile: FastifySchemaCompiler<unknown>,
): (req: FastifyRequest) => void {
  const checks = PARTS.filter((part) => schema[part] !== undefined).map((part) => ({
    part,
    validate: compile({ schema: schema[part], httpPart: part, method: '', url: '' }) as ((data: unknown) => boolean) & {
      errors?: unknown[] | null;
    },
    value: (req: FastifyRequest): unknown => (part === 'querystring' ? req.query : req[part]),
  }));
  return (req) => {
    for (const { part, validate, value } of checks) {
      if (!validate(value(req))) {
        throw Object.assign(new Error(`${part} failed validation`), {
          statusCode: 400,
          code: 'FST_ERR_VALIDATION',
          validation: validate.errors ?? [],
          validationContext: part,
        });
      }
    }
  };
}
