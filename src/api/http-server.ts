import http from 'node:http';
import type { HttpServerConfig } from '../config';

/** The receiver's HTTP server around a request handler (Koa's `app.callback()`); it does not listen. */
export function createHttpServer(handler: http.RequestListener, options: HttpServerConfig): http.Server {
  const server = http.createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      maxHeaderSize: options.maxHeaderBytes,
      // node enforces the two timeouts above only when it checks (default every 30 s): check often enough
      connectionsCheckingInterval: Math.min(1000, Math.ceil(options.headersTimeoutMs / 4)),
    },
    handler,
  );
  if (options.maxConnections > 0) server.maxConnections = options.maxConnections;
  // node's own 417 keeps the connection open with the refused body unread, so the next request on it is reset
  server.on('checkExpectation', (_req: http.IncomingMessage, res: http.ServerResponse) =>
    res.writeHead(417, { connection: 'close' }).end(),
  );
  return server;
}
