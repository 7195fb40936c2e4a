/**
 * `npm run register-webhook -- --url https://…/webhooks/whatsapp [--events a,b,…]`: sets the webhook URL and
 * event list of the Vesper app (`PUT ${VESPER_API_URL}${VESPER_WEBHOOK_SETTINGS_PATH}`, key in `x-api-key` as
 * Vesper's API docs say; the guide's step 3 shows the same body).
 */
import { parseArgs } from 'node:util';
import { loadOpsConfig } from '../config';
import { EVENT_TYPES, KNOWN_EVENT_TYPES } from '../workflows/contracts';
import { exitWith } from './cli';

/** Every type in the registry marked `subscribe`. */
export const DEFAULT_WEBHOOK_EVENTS = KNOWN_EVENT_TYPES.filter((type) => EVENT_TYPES[type].subscribe);

async function main(): Promise<number> {
  const { values: flags } = parseArgs({ options: { url: { type: 'string' }, events: { type: 'string' } } });
  if (!flags.url || !/^https?:\/\//.test(flags.url)) {
    console.error('usage: register-webhook --url https://your-host/webhooks/whatsapp [--events a,b,…]');
    return 2;
  }
  const { vesper, webhookSettingsPath } = loadOpsConfig(process.env);
  if (!vesper.apiKey) {
    console.error('VESPER_API_KEY must be set');
    return 2;
  }
  const webhookEvents = flags.events ? flags.events.split(',').map((e) => e.trim()) : DEFAULT_WEBHOOK_EVENTS;
  const url = `${vesper.apiUrl}${webhookSettingsPath}`;
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'x-api-key': vesper.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ webhookUrl: flags.url, webhookEvents }),
    signal: AbortSignal.timeout(vesper.timeoutMs),
  });
  const text = await response.text();
  console.log(`PUT ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return response.ok ? 0 : 1;
}

exitWith(main);
