/** Transport guards: access control, limits and overload protection in front of every handler. */
export { API_KEY_HEADER, apiKeyHash, createAuthenticator, MAX_API_KEY_BYTES, presentedKey, resolveApiKeys } from './api-keys.js';
export type { ApiKeyConfig, Authenticator, Principal } from './api-keys.js';
export { createCallGuard, DEFAULT_DEADLINE_MS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_KEY } from './call-guard.js';
export type { Admission, AdmitInput, CallGuard, GuardOptions } from './call-guard.js';
export { effectiveDeadlineMs } from './deadline.js';
export { guardError, isGuardError, type GuardCode } from './guard-error.js';
export { createInFlightLimiter, type InFlightLimiter } from './in-flight.js';
export { createTokenBucket, type TokenBucket } from './token-bucket.js';
export { decodeFailure, isDecodeFailure, tolerantDeserializers, type DecodeFailure } from './decode.js';
