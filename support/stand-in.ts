/**
 * A stand-in for an HTTP API we call (Vesper's send API, the alert webhook) on loopback, shared by the tests, the
 * chaos run and the benchmark. It records every request and, by default, behaves like an idempotent API: a request
 * repeating an Idempotency-Key that already succeeded gets the first answer again and causes no second effect.
 * Vesper's docs promise no such thing, so `StandIn.start({ ignoreIdempotency: true })` gives an API where every
 * 2xx is an effect.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  idempotencyKey: string | undefined;
  /** This request repeated an idempotency key that had already succeeded: no new effect. */
  duplicate: boolean;
  /** This request was answered 2xx for the first time for its key: it had the API's effect (a message sent). */
  effect: boolean;
  /** When it arrived (epoch ms). */
  at: number;
  /** The HTTP status it was answered (or was to be answered) with; 0 for a request left hanging. */
  status: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Answer this late: the effect is recorded at once, so a client that gives up first has still "sent". */
  delayMs?: number;
}

/**
 * What the stand-in answers when no scripted reply is queued: `ok` 200; `5xx` 500 (an outage, retried);
 * `4xx` 422 (a permanent refusal: the number is not on WhatsApp); `hang` takes the request and never answers,
 * with no effect, until `close()`.
 */
export type StandInMode = 'ok' | '5xx' | '4xx' | 'hang';

export interface StandInOptions {
  /** `ok` unless told. */
  mode?: StandInMode;
  /** Every 2xx is an effect, repeated key or not (an API that ignores Idempotency-Key). */
  ignoreIdempotency?: boolean;
}

const MODE_REPLIES: Record<Exclude<StandInMode, 'hang'>, Reply> = {
  ok: { status: 200, body: { ok: true } },
  '5xx': { status: 500, body: { error: 'stand-in outage' } },
  '4xx': { status: 422, body: { error: 'number_not_on_whatsapp' } },
};

/** A repeat of a key whose first request is still being answered, as idempotent APIs answer it. */
const IN_FLIGHT: Reply = {
  status: 409,
  headers: { 'retry-after': '1' },
  body: { error: 'a request with this Idempotency-Key is in progress' },
};

export class StandIn {
  readonly requests: RecordedRequest[] = [];
  url = '';
  private readonly script: Reply[] = [];
  /** Standing answers for one path (`route`), before the script and the mode. */
  private readonly routes = new Map<string, () => Reply | undefined>();
  private readonly succeeded = new Map<string, Reply>();
  /** Keys whose first request is still being answered (a delayed reply): a repeat gets 409. */
  private readonly inFlight = new Set<string>();

  private constructor(
    private mode: StandInMode,
    private readonly honoursIdempotencyKey: boolean,
    private readonly server: http.Server,
  ) {}

  static async start(options: StandInOptions = {}): Promise<StandIn> {
    const server = http.createServer();
    const standIn = new StandIn(options.mode ?? 'ok', !options.ignoreIdempotency, server);
    server.on('request', (req, res) => void standIn.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return standIn;
  }

  /** The next requests get these replies, in order; after them, the mode's. */
  replyNext(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  /**
   * Requests to `path` (exactly, query included) get `reply` from now on, called per request, instead of the
   * script or the mode (e.g. Vesper's session status); undefined from it falls through to them.
   */
  route(path: string, reply: () => Reply | undefined): void {
    this.routes.set(path, reply);
  }

  /** What to answer from now on when no scripted reply is queued (requests already hanging stay so). */
  setMode(mode: StandInMode): void {
    this.mode = mode;
  }

  /** Requests that had an effect: each successful idempotency key once. */
  effects(): RecordedRequest[] {
    return this.requests.filter((r) => r.effect);
  }

  to(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Stops listening and ends every open connection, hanging requests included. */
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const key = header(req.headers['idempotency-key']);
    const honoured = key && this.honoursIdempotencyKey ? key : undefined;
    const earlier =
      honoured && this.inFlight.has(honoured) ? IN_FLIGHT : honoured && this.succeeded.get(honoured);
    const reply =
      earlier ||
      this.routes.get(req.url ?? '')?.() ||
      this.script.shift() ||
      (this.mode === 'hang' ? undefined : MODE_REPLIES[this.mode]);
    const effect = !earlier && !!reply && reply.status < 300;
    if (effect && key) this.succeeded.set(key, { ...reply, delayMs: 0 });
    if (effect && honoured && reply.delayMs) this.inFlight.add(honoured);
    this.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      idempotencyKey: key,
      duplicate: Boolean(earlier),
      effect,
      at: Date.now(),
      status: reply?.status ?? 0,
    });
    if (!reply) return; // hang: the socket stays open until the client gives up or close() ends it
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (effect && honoured) this.inFlight.delete(honoured);
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body ?? {}));
  }
}

/** The body as JSON when it parses, else as text. */
async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
