// The SDK's one HTTP path: JSON both ways, typed RegistryError failures, and the retry policy.
import { RegistryError } from './errors.js';

export interface ClientOptions {
  /** Absolute base URL of the registry, e.g. `https://registry.example` (a path prefix is kept). */
  baseUrl: string;
  /** Retries of a retryable failure (default 3). */
  retries?: number;
  /** A 429 whose Retry-After is longer than this is not waited for (default 30 000 ms). */
  maxRetryDelayMs?: number;
  /** First back-off after a 5xx or network error, doubled each time (default 250 ms). */
  backoffMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * Which failures a call may retry. `safe`: 429, 5xx and network errors (the call is idempotent or has no
 * effect worth protecting). `rate-limit`: only a 429, which the registry answers before it changes anything.
 * `never`: no retry at all (validate: the nonce may already have burnt).
 */
export type RetryPolicy = 'safe' | 'rate-limit' | 'never';

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  retry: RetryPolicy;
  signal?: AbortSignal | undefined;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function retryAfterSeconds(h: string | null): number | undefined {
  if (h === null) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h);
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

export class HttpClient {
  readonly baseUrl: string;
  private readonly retries: number;
  private readonly maxRetryDelayMs: number;
  private readonly backoffMs: number;
  private readonly headers: Record<string, string>;

  constructor(o: ClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.retries = o.retries ?? 3;
    this.maxRetryDelayMs = o.maxRetryDelayMs ?? 30_000;
    this.backoffMs = o.backoffMs ?? 250;
    this.headers = o.headers ?? {};
  }

  url(path: string): string {
    return this.baseUrl + path;
  }

  /** One request with the retry policy; resolves with the parsed JSON body of a 2xx answer. */
  async request<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const left = attempt < this.retries;
      let error: RegistryError;
      try {
        return await this.once<T>(method, path, o);
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e; // an abort, or a bug: never retried
        error = e;
      }
      let delay: number | undefined;
      if (error.status === 429 && o.retry !== 'never') {
        const ms = (error.retryAfterSeconds ?? 1) * 1000;
        if (ms <= this.maxRetryDelayMs) delay = ms;
      } else if (o.retry === 'safe' && (error.status >= 500 || error.code === 'NETWORK')) {
        delay = this.backoffMs * 2 ** attempt;
      }
      if (!left || delay === undefined) throw error;
      await sleep(delay, o.signal);
    }
  }

  private async once<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: { ...this.headers, ...(o.body !== undefined && { 'content-type': 'application/json' }), ...o.headers },
        ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
        ...(o.signal && { signal: o.signal }),
      });
    } catch (e) {
      if (o.signal?.aborted) throw o.signal.reason;
      throw new RegistryError('NETWORK', `${method} ${path}: ${(e as Error).message}`, 0, undefined, undefined, {
        cause: e,
      });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RegistryError(
        'BAD_RESPONSE',
        `${method} ${path} answered ${res.status} with a body that is not JSON`,
        res.status,
        text.slice(0, 200),
      );
    }
    if (res.ok) return body as T;
    const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
    const code = typeof err?.code === 'string' ? err.code : 'BAD_RESPONSE';
    const message = typeof err?.message === 'string' ? err.message : `${method} ${path} answered ${res.status}`;
    throw new RegistryError(code, message, res.status, err?.details, retryAfterSeconds(res.headers.get('retry-after')));
  }
}
