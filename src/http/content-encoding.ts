// Decoding gzip and deflate request bodies within the route's body limit; other encodings answer 415.
import type { FastifyInstance } from 'fastify';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { ApiError, invalidInput } from '../errors.js';

/** `Content-Encoding` values a body may arrive in (as the Rust registry's tower-http accepted). */
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
};

const tooLarge = (limit: number, what: string) =>
  new ApiError('PAYLOAD_TOO_LARGE', `${what} body exceeds the ${limit}-byte limit`);

/**
 * Passes decoded bytes on until the route's body limit, then fails, which stops the decoder: a zip bomb
 * costs at most the limit in memory and the time to inflate that much. `receivedEncodedLength` is what
 * Fastify's body reader compares with Content-Length.
 */
class LimitedBody extends Transform {
  receivedEncodedLength = 0;
  private decoded = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decoded += chunk.length;
    if (this.decoded > this.limit) callback(tooLarge(this.limit, 'decoded'));
    else callback(null, chunk);
  }
}

/** Decodes gzip and deflate request bodies (a `preParsing` hook); any other encoding is a 415. */
export function decodeBodies(app: FastifyInstance): void {
  app.addHook('preParsing', (req, _reply, payload, done) => {
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding === undefined || encoding === '' || encoding === 'identity') {
      done(null, payload);
      return;
    }
    const decoder = DECODERS[encoding];
    if (!decoder) {
      // Refused when the body is read, not here: a route that never reads one (a GET) must not fail on it.
      const refusal = new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        `unsupported content-encoding "${encoding}"; send gzip, deflate or identity`,
      );
      done(
        null,
        new Readable({
          read() {
            this.destroy(refusal);
          },
        }),
      );
      return;
    }
    const limit = req.routeOptions.bodyLimit;
    const inflate = decoder();
    const body = new LimitedBody(limit);
    const stop = (err: Error) => {
      payload.unpipe(inflate);
      inflate.destroy();
      body.destroy(err);
    };
    // Input that inflates to nothing (e.g. empty gzip members) must not stream forever either.
    payload.on('data', (chunk: Buffer) => {
      body.receivedEncodedLength += chunk.length;
      if (body.receivedEncodedLength > limit) stop(tooLarge(limit, 'encoded'));
    });
    inflate.on('error', (e) => stop(invalidInput(`body is not valid ${encoding}`, { reason: e.message })));
    // Also the listener that keeps the error of a body nobody reads (a 404, a 415) from being unhandled.
    body.on('error', () => {
      payload.unpipe(inflate);
      inflate.destroy();
    });
    payload.pipe(inflate).pipe(body);
    done(null, body);
  });
}
