// The `[http]` config section: request, header and keep-alive timeouts and the per-client connection cap.
import { Type } from 'typebox';

/** What one connection may hold: time limits and a per-client connection cap (src/http/transport.ts). */
export const HttpSection = Type.Object(
  {
    request_timeout_seconds: Type.Integer({
      minimum: 1,
      default: 60,
      description:
        'a request (headers and body) must arrive within this; also the longest a connection may sit silent mid-request or mid-answer',
    }),
    headers_timeout_seconds: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'the request headers must arrive within this',
    }),
    keep_alive_timeout_seconds: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'an idle kept-alive connection is closed after this',
    }),
    max_connections_per_ip: Type.Integer({
      minimum: 1,
      default: 64,
      description: 'open connections per client address; more are closed at once (trusted_proxies are exempt)',
    }),
  },
  { additionalProperties: false, default: {} },
);
