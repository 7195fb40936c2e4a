/**
 * `npm run send-test-event -- --type message.received [--url …] [--session S] [--message-id M]`: signs a
 * realistic sample with WEBHOOK_SECRET (the dev secret when unset) and posts it, like Vesper's "Test Webhook".
 */
import { parseArgs } from 'node:util';
import { signBody, SIGNATURE_HEADER } from '../api/signature';
import { loadOpsConfig } from '../config';
import { exitWith } from './cli';
import { eventTypeSpec, type KnownEventType } from '../workflows/contracts';
import { SAMPLE_TYPES, sampleEvent } from './sample-events';

async function main(): Promise<number> {
  const { values: flags } = parseArgs({
    options: {
      type: { type: 'string', default: 'message.received' },
      url: { type: 'string' },
      session: { type: 'string' },
      'message-id': { type: 'string' },
    },
  });
  if (!eventTypeSpec(flags.type)) {
    console.error(`--type must be one of ${SAMPLE_TYPES.join(', ')}`);
    return 2;
  }
  const config = loadOpsConfig(process.env);
  const event = sampleEvent(flags.type as KnownEventType, {
    sessionId: flags.session,
    messageId: flags['message-id'],
  });
  const body = JSON.stringify(event);
  const url = flags.url ?? config.webhookUrl;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(body, config.webhookSecrets[0] ?? ''),
    },
    body,
  });
  console.log(`${event.type} → ${url}: HTTP ${response.status} ${await response.text()}`);
  return response.ok ? 0 : 1;
}

exitWith(main);
