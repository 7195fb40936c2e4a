import { signBody } from '../../src/api/signature';

export const TEST_SECRET = 'test-secret';

/** The headers Vesper sends with `body`: JSON content type and the HMAC in `bare` or `sha256=` form. */
export function signedHeaders(
  body: string | Buffer,
  secret = TEST_SECRET,
  form: 'bare' | 'prefixed' = 'bare',
): Record<string, string> {
  const hex = signBody(body, secret);
  return {
    'content-type': 'application/json',
    'x-vesper-signature': form === 'bare' ? hex : `sha256=${hex}`,
  };
}
