import {
  type Answer,
  type BatchCheckAnswer,
  type CheckRequest,
  type ClientErrorCode,
  type Consistency,
  type ErrorCode,
  type FilterAnswer,
  type FilterRequest,
  type Question,
  type WhoCanAnswer,
  type WhoCanRequest,
  errorCodes,
} from './types.js';

/** How a DecisionClient reaches the server and who it is. */
export interface DecisionClientOptions {
  /**
   * The server, e.g.
   * `https://access-controller-decision-server.access-controller-system:8090`.
   * Node's fetch trusts the CAs of NODE_EXTRA_CA_CERTS besides the system's:
   * point it at the server's CA.
   */
  baseUrl: string | URL;
  /** A bearer token, or a function returning the current one. */
  token?: string | (() => string | Promise<string>);
  /**
   * A file holding the bearer token, such as a projected ServiceAccount
   * token (`/var/run/secrets/kubernetes.io/serviceaccount/token`): read again
   * every tokenFileTtlMs, so a token the kubelet rotates is picked up.
   */
  tokenFile?: string;
  /** How long a token read from tokenFile is used; default 60,000. */
  tokenFileTtlMs?: number;
  /**
   * Each attempt's time limit; default 10,000. A request with
   * consistency.afterWrite gets the wait it allows the server
   * (maxWaitSeconds, default 5 s) on top.
   */
  timeoutMs?: number;
  /**
   * How many times to ask again after a retryable error (not_ready,
   * not_converged, unreachable, timeout, a proxy's 502/503/504), with
   * exponential backoff; default 0.
   */
  retries?: number;
  /** The first backoff; default 200. Each next one doubles, up to 5,000. */
  retryBackoffMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use; default the global one (Node >= 18). */
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (and its retries). */
  signal?: AbortSignal;
}

/**
 * An error answer of the server ({code, message}, with its HTTP status), or
 * a failure to get one (status 0, or the status of an answer that is not the
 * server's). Branch on code; message is for people.
 */
export class DecisionError extends Error {
  override readonly name = 'DecisionError';
  /**
   * The server's stable code, or the client's for a failure to get an
   * answer; a code of a newer server that this client does not know is kept
   * as it is.
   */
  readonly code: ErrorCode | ClientErrorCode | (string & {});
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /**
   * Whether asking again (after a backoff, or another replica) may succeed:
   * not_ready and not_converged, no answer, or a proxy's 502/503/504.
   */
  readonly retryable: boolean;
  /** The server's Retry-After in seconds, when it sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode | ClientErrorCode | (string & {}), status: number, message: string, options?: { cause?: unknown; retryable?: boolean; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
    this.retryable = options?.retryable ?? retryableCode(code, status);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

function retryableCode(code: string, status: number): boolean {
  if (code === 'unreachable' || code === 'timeout') return true;
  if (code === 'unexpected_response') return status === 502 || status === 503 || status === 504;
  return isErrorCode(code) ? errorCodes[code].retryable : status === 503;
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCodes, code);
}

/**
 * A client of the decision server (clients/openapi.yaml). It holds no state
 * but its options: one per process is enough, and it may be used
 * concurrently.
 */
export class DecisionClient {
  readonly #base: string;
  readonly #opts: DecisionClientOptions;
  readonly #fetch: typeof fetch;
  #fileToken: { value: string; readAt: number } | undefined;

  constructor(options: DecisionClientOptions) {
    if (!options?.baseUrl) throw new TypeError('DecisionClient: baseUrl is required');
    if (options.token !== undefined && options.tokenFile !== undefined) {
      throw new TypeError('DecisionClient: give token or tokenFile, not both');
    }
    const base = new URL(String(options.baseUrl));
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new TypeError(`DecisionClient: baseUrl ${base.href}: want an https:// (or http://) URL`);
    }
    this.#base = base.href.replace(/\/+$/, '');
    this.#opts = options;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('DecisionClient: no fetch: use Node >= 18 or pass options.fetch');
    this.#fetch = f;
  }

  /** One question about one user (POST /v1/check). */
  check(request: CheckRequest, options?: CallOptions): Promise<Answer> {
    return this.#post<Answer>('/v1/check', request, options);
  }

  /**
   * Up to 1,000 questions, each with its tenant and user, answered in order
   * (POST /v1/batch-check); consistency applies to every one.
   */
  batchCheck(questions: Question[], consistency?: Consistency, options?: CallOptions): Promise<BatchCheckAnswer> {
    const body: { questions: Question[]; consistency?: Consistency } = { questions };
    if (consistency !== undefined) body.consistency = consistency;
    return this.#post<BatchCheckAnswer>('/v1/batch-check', body, options);
  }

  /** Every user of the tenant who may, with why (POST /v1/who-can). */
  whoCan(request: WhoCanRequest, options?: CallOptions): Promise<WhoCanAnswer> {
    return this.#post<WhoCanAnswer>('/v1/who-can', request, options);
  }

  /**
   * The records of a type the user may perform an action on, as a filter
   * for the application's own query (POST /v1/filter): see whereSql and
   * matches.
   */
  filter(request: FilterRequest, options?: CallOptions): Promise<FilterAnswer> {
    return this.#post<FilterAnswer>('/v1/filter', request, options);
  }

  /** Whether the server is ready to answer (GET /readyz): its cache has synced. */
  async ready(options?: CallOptions): Promise<boolean> {
    const { res } = await this.#attempt('GET', '/readyz', undefined, options?.signal);
    return res.ok;
  }

  async #post<T>(path: string, body: { consistency?: Consistency }, options: CallOptions | undefined): Promise<T> {
    const payload = JSON.stringify(body);
    const c = body.consistency;
    const serverWait = c?.afterWrite ? (c.maxWaitSeconds ?? 5) * 1000 : 0;
    const retries = Math.max(0, Math.floor(this.#opts.retries ?? 0));
    let backoff = this.#opts.retryBackoffMs ?? 200;
    for (let attempt = 0; ; attempt++) {
      try {
        const { res, text } = await this.#attempt('POST', path, payload, options?.signal, serverWait);
        return answer<T>(res, text);
      } catch (err) {
        if (!(err instanceof DecisionError) || !err.retryable || attempt >= retries) throw err;
        const wait = err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : backoff;
        await sleep(Math.min(wait, 5000), options?.signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /** One request and its answer's body, within the time limit. */
  async #attempt(method: string, path: string, body: string | undefined, signal: AbortSignal | undefined, serverWait = 0): Promise<{ res: Response; text: string }> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.#opts.headers };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = await this.#token();
    if (token) headers.Authorization = `Bearer ${token}`;
    const limit = (this.#opts.timeoutMs ?? 10_000) + serverWait;
    // The caller's signal or the time limit, whichever comes first
    // (AbortSignal.any is Node >= 20.3).
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new DecisionError('timeout', 0, `${method} ${path}: no answer within ${limit} ms`));
    }, limit);
    const onAbort = () => ctl.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.#fetch(this.#base + path, { method, headers, body, signal: ctl.signal });
      return { res, text: await res.text() };
    } catch (err) {
      if (timedOut) throw ctl.signal.reason;
      if (signal?.aborted) throw signal.reason ?? err; // the caller's cancellation, as it is
      throw new DecisionError('unreachable', 0, `${method} ${path}: ${describe(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #token(): Promise<string | undefined> {
    const t = this.#opts.token;
    if (typeof t === 'function') return (await t()).trim();
    if (typeof t === 'string') return t.trim();
    const file = this.#opts.tokenFile;
    if (file === undefined) return undefined;
    const ttl = this.#opts.tokenFileTtlMs ?? 60_000;
    if (this.#fileToken && Date.now() - this.#fileToken.readAt < ttl) return this.#fileToken.value;
    const { readFile } = await import('node:fs/promises');
    // A missing or empty file is the deployment's mistake, not an answer:
    // a plain Error, before anything is sent.
    const value = (await readFile(file, 'utf8')).trim();
    if (value === '') throw new Error(`DecisionClient: the token file ${file} is empty`);
    this.#fileToken = { value, readAt: Date.now() };
    return value;
  }
}

/** Reads an answer: the JSON object of a 200, else a DecisionError. */
function answer<T>(res: Response, text: string): T {
  const json = (ct: string | null) => (ct ?? '').toLowerCase().includes('application/json');
  let parsed: unknown;
  let parseError: unknown;
  if (json(res.headers.get('Content-Type'))) {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      parseError = err;
    }
  }
  if (res.ok) {
    if (parsed !== undefined && typeof parsed === 'object' && parsed !== null) return parsed as T;
    throw new DecisionError('unexpected_response', res.status, `the server answered ${res.status} without a JSON object: ${snippet(text)}`, { cause: parseError });
  }
  const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
  const extra = retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter };
  if (typeof parsed === 'object' && parsed !== null) {
    const { code, message } = parsed as { code?: unknown; message?: unknown };
    if (isErrorCode(code)) {
      throw new DecisionError(code, res.status, typeof message === 'string' ? message : code, extra);
    }
    if (typeof code === 'string') {
      // A code this client does not know (a newer server): keep it, and the
      // status says whether to retry.
      throw new DecisionError(code, res.status, typeof message === 'string' ? message : code, { ...extra, retryable: res.status === 503 });
    }
  }
  throw new DecisionError('unexpected_response', res.status, `the server answered ${res.status} ${res.statusText}: ${snippet(text)}`, extra);
}

function parseRetryAfter(h: string | null): number | undefined {
  if (h === null || !/^\d+$/.test(h.trim())) return undefined;
  return Number(h.trim());
}

function snippet(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one || '(empty)';
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return err.message + cause;
  }
  return String(err);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Orders two freshness tokens of one tenant: negative when a is older than
 * b, 0 when equal, positive when newer. Tokens are decimal resourceVersions.
 */
export function compareFreshness(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
