/**
 * Field paths and error constructors, as k8s.io/apimachinery/pkg/util/validation/field.
 * Paths are plain strings: child('spec', 'containers') → 'spec.containers', index(p, 0) → 'p[0]',
 * key(p, 'cpu') → 'p[cpu]'.
 */
import type { FieldError } from '../errors.js';
import { goValue } from './govalue.js';

export function child(path: string, ...names: string[]): string {
  let p = path;
  for (const n of names) p = p ? `${p}.${n}` : n;
  return p;
}
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, detail: detail || undefined };
}
/** Attach Kubernetes' Go rendering of the bad value when there is one. */
function withGo(e: FieldError): FieldError {
  const text = goValue(e.badValue);
  if (text !== undefined) e.badValueText = text;
  return e;
}

export function invalid(field: string, badValue: unknown, detail: string): FieldError {
  return withGo({ type: 'FieldValueInvalid', field, badValue, detail: detail || undefined });
}
export function notSupported(field: string, badValue: unknown, valid: readonly string[]): FieldError {
  return withGo({
    type: 'FieldValueNotSupported', field, badValue,
    detail: valid.length ? 'supported values: ' + valid.map((v) => JSON.stringify(v)).join(', ') : undefined,
  });
}
export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail: detail || undefined };
}
export function duplicate(field: string, badValue: unknown): FieldError {
  return withGo({ type: 'FieldValueDuplicate', field, badValue });
}
export function notFound(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue };
}
export function tooLong(field: string, maxLength: number): FieldError {
  return { type: 'FieldValueTooLong', field, detail: `may not be more than ${maxLength} bytes` };
}
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, badValue: actual, detail: `must have at most ${max} items` };
}

/** Each message of a name check as an Invalid error. */
export function eachInvalid(field: string, value: unknown, msgs: string[]): FieldError[] {
  return msgs.map((m) => invalid(field, value, m));
}

/** Deep equality of JSON-like values, treating undefined, missing keys, null, [] and {} alike where Go would. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => (v as Record<string, unknown>)[k] === undefined));
  if (a === b) return true;
  if (empty(a) && empty(b)) return true;
  if (typeof a !== typeof b) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    for (const k of new Set([...ka, ...kb])) {
      if (!semanticEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    }
    return true;
  }
  return false;
}

/** `field is immutable` when the values differ. */
export function validateImmutableField(newVal: unknown, oldVal: unknown, field: string): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [invalid(field, newVal, 'field is immutable')];
}

export function validateNonnegativeField(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
}

export type Obj = Record<string, unknown>;
export function asObj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
export function asArr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
