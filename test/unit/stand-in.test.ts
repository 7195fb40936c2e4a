import { afterEach, describe, expect, it } from 'vitest';
import { StandIn, type StandInOptions } from '../../support/stand-in';
import { until } from '../helpers/wait';

let standIn: StandIn | undefined;
afterEach(() => standIn?.close());

async function start(options: StandInOptions = {}): Promise<StandIn> {
  standIn = await StandIn.start(options);
  return standIn;
}

function send(to: StandIn, key?: string): Promise<Response> {
  return fetch(`${to.url}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key && { 'idempotency-key': key }) },
    body: JSON.stringify({ text: 'hi' }),
  });
}

describe('StandIn modes', () => {
  it('ok: answers 200 and records the request as an effect', async () => {
    const api = await start();
    const res = await send(api, 'k1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(api.requests).toMatchObject([
      {
        method: 'POST',
        path: '/messages',
        body: { text: 'hi' },
        idempotencyKey: 'k1',
        effect: true,
        status: 200,
      },
    ]);
    expect(api.to('/messages')).toHaveLength(1);
  });

  it('5xx: answers 500 with no effect, so a retry after it is no duplicate; back to ok it succeeds', async () => {
    const api = await start({ mode: '5xx' });
    expect((await send(api, 'k1')).status).toBe(500);
    api.setMode('ok');
    expect((await send(api, 'k1')).status).toBe(200);
    expect(api.requests.map((r) => [r.status, r.effect, r.duplicate])).toEqual([
      [500, false, false],
      [200, true, false],
    ]);
  });

  it('4xx: answers 422, a permanent refusal with a reason', async () => {
    const api = await start({ mode: '4xx' });
    const res = await send(api, 'k1');
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: 'number_not_on_whatsapp' });
    expect(api.effects()).toEqual([]);
  });

  it('a scripted reply comes before the mode', async () => {
    const api = await start({ mode: '5xx' });
    api.replyNext({ status: 201, body: { messageId: 'OUT1' } });
    expect(await (await send(api, 'k1')).json()).toEqual({ messageId: 'OUT1' });
    expect((await send(api, 'k2')).status).toBe(500);
  });

  it('hang: takes the request, never answers, and close() ends it', async () => {
    const api = await start({ mode: 'hang' });
    const pending = send(api, 'k1');
    await until('the request to arrive', () => api.requests.length === 1, 2000);
    const outcome = await Promise.race([
      pending.then(() => 'answered'),
      new Promise((resolve) => setTimeout(resolve, 200, 'hanging')),
    ]);
    expect(outcome).toBe('hanging');
    expect(api.requests[0]).toMatchObject({ status: 0, effect: false });
    await api.close();
    await expect(pending).rejects.toThrow();
  });
});

describe('StandIn idempotency', () => {
  it('honours Idempotency-Key by default: a repeat gets the first answer and is no second effect', async () => {
    const api = await start();
    api.replyNext({ status: 200, body: { messageId: 'OUT1' } });
    await send(api, 'k1');
    const again = await send(api, 'k1');
    expect(await again.json()).toEqual({ messageId: 'OUT1' });
    expect(api.requests.map((r) => [r.effect, r.duplicate])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(api.effects()).toHaveLength(1);
  });

  it('ignoreIdempotency: every 2xx is an effect, repeated key or not', async () => {
    const api = await start({ ignoreIdempotency: true });
    await send(api, 'k1');
    await send(api, 'k1');
    expect(api.effects()).toHaveLength(2);
    expect(api.requests.some((r) => r.duplicate)).toBe(false);
  });

  it('a repeat while the first request is still being answered gets 409 with Retry-After', async () => {
    const api = await start();
    api.replyNext({ status: 200, delayMs: 300 });
    const first = send(api, 'k1');
    await until('the request to arrive', () => api.requests.length === 1, 2000);
    const second = await send(api, 'k1');
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('1');
    expect((await first).status).toBe(200);
    expect(api.effects()).toHaveLength(1);
  });
});
