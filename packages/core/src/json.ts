/** Any JSON value (what `JSON.parse` returns and `JSON.stringify` writes without loss). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Whether `value` is a plain JSON object (not null, not an array).
 *
 * @example
 * isJsonObject(JSON.parse('{"a":1}')); // true
 * isJsonObject([1]); // false
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
