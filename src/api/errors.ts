/** The receiver's few HTTP errors; the error middleware in app.ts maps them, and hides anything else. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields for the JSON body, e.g. the ID a rejected event was kept under. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const unauthorized = (message: string) => new HttpError(401, message);
export const badRequest = (message: string) => new HttpError(400, message);
export const unsupportedMediaType = () => new HttpError(415, 'content type must be application/json');
export const serviceUnavailable = (retryAfterSeconds: number) =>
  new HttpError(503, 'event could not be stored durably; retry later', {
    'Retry-After': String(retryAfterSeconds),
  });
