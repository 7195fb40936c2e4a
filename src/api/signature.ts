/**
 * Vesper's webhook signature: hex HMAC-SHA256 of the exact raw body in `x-vesper-signature`, bare or as
 * `sha256=<hex>`, either letter case. Pure; verifies bytes before anything parses them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-vesper-signature';
const HEX_SHA256 = /^[0-9a-f]{64}$/;

export type SignatureProblem = 'missing' | 'malformed' | 'mismatch';

export class SignatureError extends Error {
  override name = 'SignatureError';
  constructor(readonly problem: SignatureProblem) {
    super(
      problem === 'missing'
        ? 'missing signature'
        : problem === 'malformed'
          ? 'malformed signature'
          : 'invalid signature',
    );
  }
}

export function signBody(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Throws SignatureError unless one of `secrets` signed `rawBody`. Constant time in the signature's value. */
export function verifySignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): void {
  if (header === undefined || header.trim() === '') throw new SignatureError('missing');
  let hex = header.trim().toLowerCase();
  if (hex.startsWith('sha256=')) hex = hex.slice('sha256='.length);
  if (!HEX_SHA256.test(hex)) throw new SignatureError('malformed');
  const given = Buffer.from(hex, 'hex');
  let matched = false;
  for (const secret of secrets) {
    // every secret is tried, so the time taken does not tell which one (or whether an early one) matched
    matched = timingSafeEqual(createHmac('sha256', secret).update(rawBody).digest(), given) || matched;
  }
  if (!matched) throw new SignatureError('mismatch');
}
