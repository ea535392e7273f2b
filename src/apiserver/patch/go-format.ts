/** Go's `%v` rendering of decoded JSON values, for error messages that quote them as Kubernetes does. */
import { isObject } from './json-value.js';

export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}
