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
  /** The HTTP status it was answered (or was to be answered) with. */
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
 * A stand-in for an HTTP API we call (Vesper's send API, the alert webhook) on loopback. It records every
 * request and, by default, behaves like an idempotent API: a request repeating an Idempotency-Key that already
 * succeeded gets the first answer again and causes no second effect. Vesper's docs promise no such thing, so
 * `StandIn.start({ honoursIdempotencyKey: false })` gives an API where every 2xx is an effect.
 */
export class StandIn {
  private honoursIdempotencyKey = true;
  readonly requests: RecordedRequest[] = [];
  private readonly script: Reply[] = [];
  private fallback: Reply = { status: 200, body: { ok: true } };
  private readonly succeeded = new Map<string, Reply>();
  /** Keys whose first request is still being answered: a repeat gets 409, as idempotent APIs answer. */
  private readonly inFlight = new Set<string>();
  private server?: http.Server;
  url = '';

  static async start(options: { honoursIdempotencyKey?: boolean } = {}): Promise<StandIn> {
    const standIn = new StandIn();
    standIn.honoursIdempotencyKey = options.honoursIdempotencyKey ?? true;
    standIn.server = http.createServer((req, res) => void standIn.handle(req, res));
    await new Promise<void>((resolve) => standIn.server?.listen(0, '127.0.0.1', resolve));
    standIn.url = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
    return standIn;
  }

  /** The next requests get these replies, in order; after them, the fallback. */
  replyNext(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  setFallback(reply: Reply): void {
    this.fallback = reply;
  }

  /** Requests that had an effect: each successful idempotency key once. */
  effects(): RecordedRequest[] {
    return this.requests.filter((r) => r.effect);
  }

  to(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    const key = header(req.headers['idempotency-key']);
    const honoured = key && this.honoursIdempotencyKey ? key : undefined;
    const earlier =
      honoured && this.inFlight.has(honoured) ? IN_FLIGHT : honoured && this.succeeded.get(honoured);
    const reply = earlier || this.script.shift() || this.fallback;
    const effect = !earlier && reply.status < 300;
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
      status: reply.status,
    });
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (effect && honoured) this.inFlight.delete(honoured);
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body ?? {}));
  }
}

const IN_FLIGHT: Reply = {
  status: 409,
  headers: { 'retry-after': '1' },
  body: { error: 'a request with this Idempotency-Key is in progress' },
};

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
