/**
 * `npm run register-webhook -- --url https://…/webhooks/whatsapp [--events a,b,…]`: sets the webhook URL and
 * event list of the Vesper app (`PUT ${VESPER_API_URL}/apps/settings`, as in step 3 of Vesper's guide).
 */
import { parseArgs } from 'node:util';
import { loadOpsConfig } from '../config';
import { exitWith } from './cli';

export const DEFAULT_WEBHOOK_EVENTS = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'session.connected',
  'session.disconnected',
];

async function main(): Promise<number> {
  const { values: flags } = parseArgs({ options: { url: { type: 'string' }, events: { type: 'string' } } });
  if (!flags.url || !/^https?:\/\//.test(flags.url)) {
    console.error('usage: register-webhook --url https://your-host/webhooks/whatsapp [--events a,b,…]');
    return 2;
  }
  const { vesper } = loadOpsConfig(process.env);
  if (!vesper.apiKey) {
    console.error('VESPER_API_KEY must be set');
    return 2;
  }
  const webhookEvents = flags.events ? flags.events.split(',').map((e) => e.trim()) : DEFAULT_WEBHOOK_EVENTS;
  const response = await fetch(`${vesper.apiUrl}/apps/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${vesper.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ webhookUrl: flags.url, webhookEvents }),
    signal: AbortSignal.timeout(vesper.timeoutMs),
  });
  const text = await response.text();
  console.log(`PUT ${vesper.apiUrl}/apps/settings: HTTP ${response.status} ${text.slice(0, 300)}`);
  return response.ok ? 0 : 1;
}

exitWith(main);
