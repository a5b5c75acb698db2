import { PaymigrateError } from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { redisClosedError, translateRedisError } from './redis-errors.js';

/** An error shaped like ioredis' `ReplyError`: the server answered with `-<message>`. */
function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('translateRedisError', () => {
  test.each(['LOADING Redis is loading the dataset in memory', 'BUSY Redis is busy running a script', 'OOM command not allowed', 'READONLY You can\'t write against a read only replica.', 'MASTERDOWN Link with MASTER is down', 'TRYAGAIN Multiple keys request during rehashing', 'CLUSTERDOWN The cluster is down', 'NOREPLICAS Not enough good replicas'])(
    'a transient reply (%s) is the retryable SESSION_STORE_UNAVAILABLE',
    (message) => {
      const translated = translateRedisError(replyError(message), 'session store', 'set');
      expect(translated).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
      expect(translated.cause).toBeInstanceOf(Error);
    },
  );

  test('any other reply is the non-retryable *_COMMAND_FAILED, quoting the server', () => {
    const translated = translateRedisError(replyError('NOPERM this user has no permissions'), 'broadcast', 'publish');
    expect(translated).toMatchObject({ code: 'BROADCAST_COMMAND_FAILED', isRetryable: false });
    expect(translated.message).toBe('Redis broadcast publish() was refused by the server: NOPERM this user has no permissions.');
  });

  test('transport failures, errors or not, are *_UNAVAILABLE', () => {
    expect(translateRedisError(new Error('Connection is closed.'), 'broadcast', 'subscribe')).toMatchObject({ code: 'BROADCAST_UNAVAILABLE', isRetryable: true });
    const odd = translateRedisError('socket hang up', 'session store', 'get');
    expect(odd).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
    expect(odd.message).toContain('(socket hang up)');
  });

  test('paymigrate errors pass through unchanged', () => {
    const original = new PaymigrateError('SESSION_ENTRY_MALFORMED', 'x');
    expect(translateRedisError(original, 'session store', 'get')).toBe(original);
  });

  test('closed errors carry the component code', () => {
    expect(redisClosedError('broadcast', 'publish')).toMatchObject({ code: 'BROADCAST_CLOSED', message: 'Redis broadcast has been closed: publish() needs a new one.' });
    expect(redisClosedError('session store', 'get').code).toBe('SESSION_STORE_CLOSED');
  });
});
