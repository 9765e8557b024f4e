/**
 * Request bytes that are not a valid protobuf message. grpc-js answers a throwing deserializer with
 * INTERNAL and a generic text, which reads like a server bug; the wrapped deserializer instead hands
 * the handler a marker, and the handler answers INVALID_ARGUMENT naming the request. Everything that
 * decodes is validated field by field as before.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

const MARK = Symbol('pte.decodeFailure');

export interface DecodeFailure {
  readonly [MARK]: true;
  readonly reason: string;
}

export function decodeFailure(reason: string): DecodeFailure {
  return { [MARK]: true, reason };
}

export function isDecodeFailure(v: unknown): v is DecodeFailure {
  return typeof v === 'object' && v !== null && MARK in v;
}

/** The service with each method's request deserializer made total (it returns a DecodeFailure instead of throwing). */
export function tolerantDeserializers(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, m] of Object.entries(def)) {
    const decode = m.requestDeserialize;
    out[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (e) {
          return decodeFailure(e instanceof Error ? e.message : String(e));
        }
      },
    };
  }
  return out as ServiceDefinition;
}
