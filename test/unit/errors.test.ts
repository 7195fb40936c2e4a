import { describe, expect, it } from 'vitest';
import { InvalidEventError, ReceiverError, toHttpResponse, type Refusal } from '../../src/api/errors';
import { SignatureError } from '../../src/api/signature';

/** Errors as koa-bodyparser's readers (raw-body, inflation, zlib) throw them. */
function readerError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message ?? 'reader error')), fields);
}

describe('toHttpResponse: the one table from refusals to HTTP', () => {
  it.each<[Refusal, number, Record<string, string>]>([
    ['unauthorized', 401, {}],
    ['invalid', 400, {}],
    ['too_large', 413, {}],
    ['unsupported_media_type', 415, {}],
    ['method_not_allowed', 405, { Allow: 'POST' }],
    ['too_early', 503, { 'Retry-After': '60' }],
    ['unavailable', 503, { 'Retry-After': '5' }],
    ['overloaded', 503, { 'Retry-After': '1' }],
  ])('%s is %i', (refusal, status, headers) => {
    const answer = toHttpResponse(new ReceiverError(refusal, 'why', { rejectedId: 'r1' }));
    expect(answer).toEqual({ status, outcome: refusal, headers, body: { error: 'why', rejectedId: 'r1' } });
  });

  it('maps the domain errors of the signature check and the parser', () => {
    expect(toHttpResponse(new SignatureError('mismatch'))).toMatchObject({
      status: 401,
      body: { error: 'invalid signature' },
    });
    expect(toHttpResponse(new InvalidEventError('field "data" must be an object'))).toMatchObject({
      status: 400,
      outcome: 'invalid',
    });
  });

  it("maps the body reader's refusals: too large, unknown encoding, undecodable, cut short", () => {
    const too = readerError({ status: 413, expose: true, type: 'entity.too.large' });
    expect(toHttpResponse(too)).toMatchObject({ status: 413, body: { error: 'request body is too large' } });
    const encoding = readerError({ status: 415, message: 'Unsupported Content-Encoding: zstd' });
    expect(toHttpResponse(encoding)).toMatchObject({ status: 415 });
    expect(toHttpResponse(readerError({ code: 'Z_DATA_ERROR' }))).toMatchObject({ status: 400 });
    expect(toHttpResponse(readerError({ code: 'ERR__ERROR_FORMAT_PADDING_1' }))).toMatchObject({
      status: 400,
    });
    const aborted = readerError({ status: 400, expose: true, type: 'request.aborted' });
    expect(toHttpResponse(aborted)).toMatchObject({ status: 400, outcome: 'invalid' });
  });

  it('leaves anything else to the 500 that hides its details', () => {
    expect(toHttpResponse(new Error('ECONNREFUSED 10.0.0.7:6379'))).toBeUndefined();
    expect(toHttpResponse(readerError({ status: 500, expose: false }))).toBeUndefined();
    expect(toHttpResponse(undefined)).toBeUndefined();
    expect(toHttpResponse('a string')).toBeUndefined();
  });
});
