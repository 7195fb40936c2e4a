/** Receiver entry point: config, one lazy Temporal client, the receiver (receiver.ts), graceful stop. */
import { Client, Connection } from '@temporalio/client';
import { loadApiConfig } from '../config';
import { createLogger } from '../logger';
import { createReceiver } from './receiver';

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const logger = createLogger('api', config.logLevel);
  // lazy: the receiver starts (and answers 503) while Temporal is down, and recovers when it comes back
  const connection = Connection.lazy({ address: config.temporal.address });
  const receiver = createReceiver({
    config,
    client: new Client({ connection, namespace: config.temporal.namespace }),
    logger,
  });
  await receiver.listen();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => process.exit(1), 15_000).unref();
    void receiver
      .close()
      .then(() => connection.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
