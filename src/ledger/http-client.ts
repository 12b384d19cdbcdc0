// The nonce ledger as a remote `enigma-registry ledger` service, answering like the embedded one.
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { ApiError } from '../errors.js';
import type { EventsPage, EventsQuery, Ledger } from './ledger.js';
import { refusalOf } from './refusals.js';
import type { BurnOutcome, NonceStatus, Reservation } from '../storage/ledger.js';
import { EventsReply, HealthReply, ReservationReply, SpentReply, StatusReply } from './schemas.js';

/** A remote `enigma-registry ledger` service; answers the same outcomes as the embedded ledger. */
export class HttpLedger implements Ledger {
  private readonly base: string;

  /** `baseUrl` is where the service's routes live, e.g. http://10.0.0.5:8444 or https://host/api/ledger. */
  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async reserve(opts: { ttlSeconds?: number } = {}): Promise<Reservation> {
    const { status, body } = await this.call(
      'POST',
      '/reserve',
      opts.ttlSeconds === undefined ? {} : { ttl: opts.ttlSeconds },
    );
    if (status !== 200) throw this.unexpected(status, body);
    return this.checked(ReservationReply, body) as Reservation;
  }

  async burn(uuid: string, tau: string): Promise<BurnOutcome> {
    const { status, body } = await this.call('POST', '/response', { uuid, tau });
    if (status === 200) {
      this.checked(SpentReply, body);
      return { ok: true };
    }
    // Anything else (a 400 about the request itself, a 5xx) is the service failing, not the nonce refused.
    const reason = refusalOf(status, errorCode(body));
    if (!reason) throw this.unexpected(status, body);
    return { ok: false, reason };
  }

  async status(uuid: string): Promise<NonceStatus | undefined> {
    const { status, body } = await this.call('GET', `/status/${encodeURIComponent(uuid)}`);
    if (status === 404) return undefined;
    if (status !== 200) throw this.unexpected(status, body);
    return this.checked(StatusReply, body) as NonceStatus;
  }

  async events({ after = 0, limit }: EventsQuery): Promise<EventsPage> {
    const { status, body } = await this.call('GET', `/events?after=${after}&limit=${limit}`);
    if (status !== 200) throw this.unexpected(status, body);
    return this.checked(EventsReply, body) as EventsPage;
  }

  async ping(): Promise<void> {
    const { status, body } = await this.call('GET', '/health');
    if (status !== 200) throw this.unexpected(status, body);
    this.checked(HealthReply, body);
  }

  private async call(method: 'GET' | 'POST', path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
    try {
      const res = await fetch(this.base + path, {
        method,
        // A ledger never redirects; following one would let it point the registry at another host.
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(json !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: res.status, body };
    } catch (e) {
      const why = (e as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describe(e);
      throw new ApiError('UNAVAILABLE', `ledger unreachable: ${why}`);
    }
  }

  private checked(schema: TSchema, body: unknown): unknown {
    if (!Value.Check(schema, body)) throw new ApiError('BAD_GATEWAY', 'ledger answered with a malformed body');
    return body;
  }

  private unexpected(status: number, body: unknown): ApiError {
    const code = errorCode(body);
    return new ApiError('BAD_GATEWAY', `ledger answered HTTP ${status}${code ? ` ${code}` : ''}`);
  }
}

function errorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** fetch wraps socket errors in `cause`; that is the useful part (ECONNREFUSED, ENOTFOUND, ...). */
function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}
