/**
 * SASL/PLAIN authentication (SaslHandshake + SaslAuthenticate), required when the listener is configured with
 * credentials. Until a connection is authenticated it may only ask ApiVersions and these two (the connection
 * enforces that). A failed authentication is answered, then the connection is closed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';

const PLAIN = 'PLAIN';

function digest(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Whether a PLAIN token (`authzid NUL username NUL password`) carries the expected credentials. */
export function plainTokenMatches(token: Buffer, expected: { username: string; password: string }): boolean {
  const first = token.indexOf(0);
  const second = first < 0 ? -1 : token.indexOf(0, first + 1);
  if (second < 0) return false;
  const username = token.subarray(first + 1, second);
  const password = token.subarray(second + 1);
  // Compare digests so the time taken says nothing about the length or prefix of the secret.
  const userOk = timingSafeEqual(digest(username), digest(expected.username));
  const passwordOk = timingSafeEqual(digest(password), digest(expected.password));
  return userOk && passwordOk;
}

export const saslHandshakeApi = defineApi<{ mechanism: string }, { errorCode: number; mechanisms: string[] }>({
  key: 17,
  name: 'SaslHandshake',
  min: 0,
  max: 1,
  request: message('none', field('mechanism', 'string', '0+')),
  response: message('none', field('errorCode', 'int16', '0+'), field('mechanisms', array('string'), '0+')),
  handle(request, { broker, session, version }) {
    if (broker.options.sasl === null) return { errorCode: KafkaError.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
    if (session.authenticated || session.mechanism !== null) {
      session.closeAfterResponse = 'SASL handshake repeated';
      return { errorCode: KafkaError.ILLEGAL_SASL_STATE, mechanisms: [PLAIN] };
    }
    if (request.mechanism !== PLAIN) return { errorCode: KafkaError.UNSUPPORTED_SASL_MECHANISM, mechanisms: [PLAIN] };
    session.mechanism = PLAIN;
    // Version 0: the token follows as a bare frame instead of a SaslAuthenticate request.
    session.rawTokenNext = version === 0;
    return { errorCode: KafkaError.NONE, mechanisms: [PLAIN] };
  },
});

interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

export const saslAuthenticateApi = defineApi<{ authBytes: Buffer }, SaslAuthenticateResponse>({
  key: 36,
  name: 'SaslAuthenticate',
  min: 0,
  max: 2,
  request: message('2+', field('authBytes', 'bytes', '0+')),
  response: message(
    '2+',
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '0+', { nullable: '0+' }),
    field('authBytes', 'bytes', '0+'),
    field('sessionLifetimeMs', 'int64', '1+'),
  ),
  handle(request, { broker, session }) {
    const answer = (errorCode: number, errorMessage: string | null) => ({
      errorCode,
      errorMessage,
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0,
    });
    const expected = broker.options.sasl;
    if (expected === null || session.mechanism !== PLAIN || session.authenticated) {
      session.closeAfterResponse = 'SaslAuthenticate out of order';
      return answer(KafkaError.ILLEGAL_SASL_STATE, 'SaslAuthenticate without a SaslHandshake for PLAIN');
    }
    if (!plainTokenMatches(request.authBytes, expected)) {
      session.closeAfterResponse = 'SASL authentication failed';
      return answer(KafkaError.SASL_AUTHENTICATION_FAILED, 'Authentication failed: invalid username or password');
    }
    session.authenticated = true;
    return answer(KafkaError.NONE, null);
  },
});
