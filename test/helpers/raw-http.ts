// Raw HTTP in tests: sends bytes as given (malformed requests included) and parses what comes back.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text; '' when the server closed without answering. */
  body: string;
  /** The whole answer as received. */
  raw: string;
}

/**
 * Sends `request` byte for byte (malformed HTTP included) over a fresh connection to `base` (http or https,
 * any certificate) and reads until the server closes. Send `Connection: close` for well-formed requests.
 * `halfClose` ends our side after the request, for requests the server would otherwise wait to complete;
 * Node's server aborts a request whose client half-closed before it was answered, so a slow answer (a
 * decoded body) may then be lost.
 */
export function rawRequest(
  base: string,
  request: string | Buffer,
  o: { timeoutMs?: number; halfClose?: boolean } = {},
): Promise<RawResponse> {
  const url = new URL(base);
  const port = Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const send = () => (o.halfClose ? socket.end(request) : socket.write(request));
    const socket: Socket =
      url.protocol === 'https:'
        ? tlsConnect({ host, port, rejectUnauthorized: false }, send)
        : tcpConnect(port, host, send);
    const chunks: Buffer[] = [];
    // A guard against a server that never closes, not a wait: the test fails instead of hanging.
    socket.setTimeout(o.timeoutMs ?? 30_000, () => socket.destroy(new Error('no answer and no close')));
    socket.on('data', (d: Buffer) => chunks.push(d));
    // A reset after the answer (the server closed with request bytes unread) still leaves the answer.
    socket.on('error', (e) => (chunks.length ? undefined : reject(e)));
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks).toString('latin1'))));
  });
}

function parseResponse(received: string): RawResponse {
  // Interim answers (100 Continue) precede the response proper.
  let raw = received;
  while (/^HTTP\/1\.1 1\d\d /.test(raw) && raw.includes('\r\n\r\n')) raw = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { status: 0, headers: {}, body: '', raw };
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(end + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { status: Number(statusLine.split(' ')[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8'), raw };
}
