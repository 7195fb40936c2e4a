/** `npm run send-test-event` against the real receiver, `npm run register-webhook` against a stand-in Vesper. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TYPES } from '../../src/ops/sample-events';
import { KNOWN_EVENT_TYPES } from '../../src/workflows/contracts';
import { npmRun } from '../helpers/cli';
import { uniqueId } from '../helpers/ids';
import type { Pipeline } from '../helpers/pipeline';
import { startReceiverPipeline, stopReceiverPipeline, type RunningReceiver } from '../helpers/receiver';
import { TEST_SECRET } from '../helpers/signed-request';

let p: Pipeline;
let receiver: RunningReceiver;
beforeAll(async () => ({ p, receiver } = await startReceiverPipeline()));
afterAll(() => stopReceiverPipeline({ p, receiver }));

describe('send-test-event', () => {
  it('signs a realistic sample of every type; the receiver accepts it and its workflow completes', async () => {
    const session = uniqueId('s');
    for (const type of SAMPLE_TYPES) {
      const res = await npmRun(
        'send-test-event',
        ['--type', type, '--url', receiver.url, '--session', session],
        {
          WEBHOOK_SECRET: TEST_SECRET,
        },
      );
      expect(res.code, res.stderr).toBe(0);
      const answer = /HTTP 202 (\{.*\})/.exec(res.stdout)?.[1];
      expect(answer, res.stdout).toBeDefined();
      const { workflowId } = JSON.parse(answer ?? '{}') as { workflowId: string };
      expect(workflowId.startsWith(`${type}:`)).toBe(true);
      await p.env.client.workflow.getHandle(workflowId).result();
    }
  });

  it('is refused with a wrong secret, and says so with a non-zero exit', async () => {
    const res = await npmRun('send-test-event', ['--url', receiver.url], {
      WEBHOOK_SECRET: 'not-the-secret',
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('HTTP 401');
  });
});

describe('register-webhook', () => {
  it("PUTs the webhook URL and every registry type to Vesper's app settings, key in x-api-key", async () => {
    // Vesper's API under its documented /api/v1 prefix, as the default VESPER_API_URL has it
    const env = { VESPER_API_URL: `${p.vesper.url}/api/v1`, VESPER_API_KEY: 'vsp_test_key' };
    const res = await npmRun(
      'register-webhook',
      ['--url', 'https://hooks.example.com/webhooks/whatsapp'],
      env,
    );
    expect(res.code, res.stderr).toBe(0);
    const call = p.vesper.to('/api/v1/apps/settings').at(-1);
    expect(call).toMatchObject({
      method: 'PUT',
      body: {
        webhookUrl: 'https://hooks.example.com/webhooks/whatsapp',
        webhookEvents: [...KNOWN_EVENT_TYPES],
      },
    });
    expect(call?.body).toMatchObject({
      webhookEvents: expect.arrayContaining([
        'message.failed',
        'message.played',
        'group.participants.updated',
      ]),
    });
    expect(call?.headers['x-api-key']).toBe('vsp_test_key');
    expect(call?.headers.authorization).toBeUndefined();

    const custom = await npmRun(
      'register-webhook',
      ['--url', 'https://h.example.com/w', '--events', 'message.received'],
      env,
    );
    expect(custom.code).toBe(0);
    expect(p.vesper.to('/api/v1/apps/settings').at(-1)?.body).toMatchObject({
      webhookEvents: ['message.received'],
    });
  });

  it('refuses to run without an API key or a URL', async () => {
    expect(
      (await npmRun('register-webhook', ['--url', 'https://h.example.com/w'], { VESPER_API_KEY: '' })).code,
    ).toBe(2);
    expect((await npmRun('register-webhook', [], { VESPER_API_KEY: 'k' })).code).toBe(2);
  });
});
