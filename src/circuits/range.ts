/** A satisfiable single byte range (inclusive ends), 'unsatisfiable', or undefined to send everything. */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * Parses a `Range` header for a body of `size` bytes (RFC 9110 §14). Only one `bytes` range is served;
 * anything else (several ranges, other units, garbage) is ignored and the whole body is sent, which the
 * RFC allows.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined; // syntactically invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
