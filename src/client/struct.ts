/**
 * google.protobuf.Struct <-> plain JSON. proto-loader hands Struct over as its raw message shape
 * ({fields: {k: {stringValue: ...}}}); callers on both sides of the wire want ordinary objects, so
 * the conversion lives here once and the client and the server share it.
 */
import type { JsonValue } from '../domain/request.js';
import type { ListValueMessage, StructMessage, ValueMessage } from './proto.js';

/** Deeper nesting is refused: it bounds the recursion a hostile request can cause. */
export const MAX_STRUCT_DEPTH = 32;

export type JsonObject = { [key: string]: JsonValue };

/** Thrown by {@link fromStruct} on input no JSON document could have produced; the caller names the field. */
export class StructError extends RangeError {
  override readonly name = 'StructError';
}

/** A JSON object as a Struct. Keys whose value is `undefined` at run time are dropped, as JSON.stringify does. */
export function toStruct(obj: Readonly<Record<string, JsonValue>>): StructMessage {
  return {
    fields: Object.fromEntries(
      Object.entries(obj)
        // Typed callers cannot pass undefined, untyped ones can: treat it as JSON does.
        .filter(([, v]) => (v as JsonValue | undefined) !== undefined)
        .map(([k, v]) => [k, toValue(v)] as const),
    ),
  };
}

export function toValue(v: JsonValue): ValueMessage {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'number':
      return { numberValue: v };
    case 'boolean':
      return { boolValue: v };
    default:
      if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
      return { structValue: toStruct(v) };
  }
}

/**
 * A Struct as a plain object. Objects are built with Object.fromEntries so a key such as
 * "__proto__" stays an own property instead of replacing the prototype.
 */
export function fromStruct(s: StructMessage, depth = 0): JsonObject {
  if (depth > MAX_STRUCT_DEPTH) throw new StructError(`nested deeper than ${MAX_STRUCT_DEPTH} levels`);
  const fields: unknown = s.fields;
  if (fields === null || fields === undefined) return {};
  if (typeof fields !== 'object') throw new StructError('fields is not a map');
  return Object.fromEntries(
    Object.entries(fields as Record<string, unknown>).map(([k, v]) => [k, fromValue(v, depth)] as const),
  );
}

/** One Value; a Value with no kind set (possible on the wire) reads as null. */
export function fromValue(value: unknown, depth = 0): JsonValue {
  if (depth > MAX_STRUCT_DEPTH) throw new StructError(`nested deeper than ${MAX_STRUCT_DEPTH} levels`);
  if (value === null || typeof value !== 'object') return null;
  const v = value as Partial<Record<keyof ValueMessage, unknown>>;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.numberValue === 'number') return v.numberValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.structValue !== undefined && v.structValue !== null) {
    if (typeof v.structValue !== 'object') throw new StructError('structValue is not a message');
    return fromStruct(v.structValue as StructMessage, depth + 1);
  }
  if (v.listValue !== undefined && v.listValue !== null) {
    const values: unknown = (v.listValue as Partial<ListValueMessage>).values;
    if (values === undefined || values === null) return [];
    if (!Array.isArray(values)) throw new StructError('listValue.values is not a list');
    return values.map((x: unknown) => fromValue(x, depth + 1));
  }
  return null;
}
