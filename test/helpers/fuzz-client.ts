/** Sends a fuzz case's wire form and reads back every answer, however the server ends the exchange. */
import http from 'node:http';
import net from 'node:net';
import type { HttpWire, RawWire, Wire } from './fuzz-wire';

export interface Answer {
  status: number;
  body: { status?: string; workflowId?: string; error?: string; rejectedId?: string };
}

export interface Outcome {
  answers: Answer[];
  /** A client-side error before any answer (reset, hang-up…), or 'hung' when neither side ended in time. */
  error?: string;
}

const GUARD_MS = 15_000;

const parseBody = (text: string): Answer['body'] => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Answer['body']) : {};
  } catch {
    return {};
  }
};

/**
 * Node's client frames no body of a GET, DELETE or OPTIONS by itself: the bytes would follow as garbage after a
 * bodiless request (the raw transport covers that). This transport sends what it says: a framed body.
 */
function framed(wire: HttpWire): HttpWire['headers'] {
  const declared = Object.keys(wire.headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k));
  if (declared || wire.body.length === 0) return wire.headers;
  // neither does it chunk them: a chunked body is said so
  if (wire.chunked) return { ...wire.headers, 'transfer-encoding': 'chunked' };
  return { ...wire.headers, 'content-length': String(Buffer.byteLength(wire.body)) };
}

function sendHttp(agent: http.Agent, port: number, wire: HttpWire): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, agent, method: wire.method, path: wire.path, headers: framed(wire) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            answers: [{ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString()) }],
          }),
        );
        res.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ answers: [{ status: res.statusCode ?? 0, body: {} }], error: err.code ?? err.message }),
        );
      },
    );
    req.setTimeout(GUARD_MS, () => req.destroy(new Error('hung')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ answers: [], error: err.code ?? err.message }));
    if (wire.chunked) {
      req.write(wire.body);
      req.end();
    } else req.end(wire.body);
  });
}

/** Answers in a raw byte stream: status line, headers, then Content-Length bytes (all our server sends). */
function parseAnswers(data: Buffer): Answer[] {
  const answers: Answer[] = [];
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return answers;
    const head = data.subarray(at, headEnd).toString('latin1');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (data.length < headEnd + 4 + length) return answers;
    const body = data.subarray(headEnd + 4, headEnd + 4 + length).toString();
    at = headEnd + 4 + length;
    // a 100 Continue is not an answer
    if (status !== 100) answers.push({ status, body: parseBody(body) });
  }
}

function sendRaw(port: number, wire: RawWire): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      socket.destroy();
      const answers = parseAnswers(Buffer.concat(received));
      resolve(answers.length > 0 || error === undefined ? { answers } : { answers, error });
    };
    const guard = setTimeout(() => finish('hung'), GUARD_MS);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (parseAnswers(Buffer.concat(received)).length >= wire.answers) finish();
    });
    socket.on('close', () => finish(wire.after === 'destroy' ? 'client hung up' : 'closed without answer'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    socket.on('connect', async () => {
      for (const [i, chunk] of wire.chunks.entries()) {
        if (i > 0 && wire.delayMs > 0) await new Promise((r) => setTimeout(r, wire.delayMs));
        if (socket.destroyed) return;
        socket.write(chunk);
      }
      if (wire.after === 'half-close') socket.end();
      if (wire.after === 'destroy') setTimeout(() => finish('client hung up'), 5);
    });
  });
}

export const send = (agent: http.Agent, port: number, wire: Wire): Promise<Outcome> =>
  wire.transport === 'http' ? sendHttp(agent, port, wire) : sendRaw(port, wire);
