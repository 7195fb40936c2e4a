/**
 * What a storage step's failure is, from what Redis and ioredis really raise: an outage (StorageUnavailable,
 * waited out), a refusal for this event (StorageRejected, a dead letter), or a bug (left as it is).
 */
import { ApplicationFailure } from '@temporalio/common';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { classifyingStorageErrors } from '../../src/activities/failures';

async function typeOf(
  err: Error,
): Promise<{ type: string | undefined | null; nonRetryable: boolean | undefined | null }> {
  const failure = await classifyingStorageErrors(() => Promise.reject(err)).catch((e: unknown) => e);
  if (!(failure instanceof ApplicationFailure))
    return { type: (failure as Error).name, nonRetryable: undefined };
  return { type: failure.type, nonRetryable: failure.nonRetryable };
}

const reply = (message: string) => new ReplyError(message);
const error = (message: string, name = 'Error') => Object.assign(new Error(message), { name });

describe('classifyingStorageErrors', () => {
  it.each([
    ['connection closed', error('Connection is closed.')],
    ['command timeout', error('Command timed out')],
    ['offline queue off', error("Stream isn't writeable and enableOfflineQueue options is false")],
    [
      'retries per request',
      error('Reached the max retries per request limit (which is 20).', 'MaxRetriesPerRequestError'),
    ],
    ['refused', error('connect ECONNREFUSED 127.0.0.1:6390')],
    ['loading', reply('LOADING Redis is loading the dataset in memory')],
    ['busy script', reply('BUSY Redis is busy running a script.')],
    ['out of memory', reply("OOM command not allowed when used memory > 'maxmemory'.")],
    ['demoted replica', reply("READONLY You can't write against a read only replica.")],
    ['password needed', reply('NOAUTH Authentication required.')],
    ['password rotated', reply('WRONGPASS invalid username-password pair or user is disabled.')],
    ['ACL', reply("NOPERM User app has no permissions to run the 'eval' command")],
    ['cluster redirection', reply('MOVED 3999 127.0.0.1:6381')],
  ])('%s: an outage, waited out', async (_what, err) => {
    expect(await typeOf(err)).toEqual({ type: 'StorageUnavailable', nonRetryable: false });
  });

  it.each([
    ['wrong type', reply('WRONGTYPE Operation against a key holding the wrong kind of value')],
    [
      'failing script',
      reply("ERR user_script:3: Script attempted to access nonexistent global variable 'x'"),
    ],
    ['not an integer', reply('ERR value is not an integer or out of range')],
  ])('%s: a refusal for this event, a dead letter', async (_what, err) => {
    expect(await typeOf(err)).toEqual({ type: 'StorageRejected', nonRetryable: true });
  });

  it('a bug is left as it is (retried locally, then a dead letter)', async () => {
    expect(await typeOf(error("Cannot read properties of undefined (reading 'x')", 'TypeError'))).toEqual({
      type: 'TypeError',
      nonRetryable: undefined,
    });
  });

  it('keeps only the first line of a long Redis message', async () => {
    const failure = await classifyingStorageErrors(() =>
      Promise.reject(reply('ERR Error running script\nscript: local x = "905551234567"')),
    ).catch((e: unknown) => e as ApplicationFailure);
    expect(failure.message).toBe('ERR Error running script');
  });
});
