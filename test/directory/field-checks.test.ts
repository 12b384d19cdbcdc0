import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { shapeOf } from '../../src/directory/field-checks.js';

test('shapeOf drops content keywords at every depth, keeps types, integer ranges, and fields named like keywords', () => {
  const schema = Type.Object(
    {
      pattern: Type.String({ pattern: '^a$', maxLength: 3 }),
      list: Type.Array(Type.Union([Type.String({ minLength: 1 }), Type.Null()]), { maxItems: 2 }),
      n: Type.Integer({ minimum: 0, maximum: 9 }),
    },
    { additionalProperties: false },
  );
  assert.deepEqual(JSON.parse(JSON.stringify(shapeOf(schema))), {
    type: 'object',
    additionalProperties: false,
    required: ['pattern', 'list', 'n'],
    properties: {
      pattern: { type: 'string' },
      list: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      n: { type: 'integer', minimum: 0, maximum: 9 },
    },
  });
});
