/**
 * Label and field selectors with Kubernetes' syntax and semantics
 * (k8s.io/apimachinery/pkg/labels and pkg/fields):
 *
 *   labels:  `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, joined by `,`
 *   fields:  `a=b`, `a==b`, `a!=b`, joined by `,`; `\,` `\=` `\\` escape
 *
 * Parse errors are thrown as SelectorError with Kubernetes' wording.
 */

export class SelectorError extends Error {}

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  requirements: Requirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  /** True when it selects everything. */
  empty(): boolean;
  toString(): string;
}

function matchRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case '=': case '==': case 'in': return has && r.values.includes(v);
    case '!=': case 'notin': return !has || !r.values.includes(v);
    case 'exists': return has;
    case '!': return !has;
    case 'gt': case 'lt': {
      if (!has) return false;
      const n = Number(v);
      if (!/^-?\d+$/.test(v)) return false;
      const want = Number(r.values[0]);
      return r.operator === 'gt' ? n > want : n < want;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return `${r.key} in (${[...r.values].sort().join(',')})`;
    case 'notin': return `${r.key} notin (${[...r.values].sort().join(',')})`;
    case 'gt': return `${r.key}>${r.values[0]}`;
    case 'lt': return `${r.key}<${r.values[0]}`;
    default: return `${r.key}${r.operator}${r.values[0]}`;
  }
}

export function makeLabelSelector(requirements: Requirement[], nothing = false): LabelSelector {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    matches: (labels) => {
      if (nothing) return false;
      const l = labels ?? {};
      for (const r of sorted) if (!matchRequirement(r, l)) return false;
      return true;
    },
    empty: () => !nothing && sorted.length === 0,
    toString: () => sorted.map(requirementString).join(','),
  };
}

export const everything: LabelSelector = makeLabelSelector([]);
export const nothing: LabelSelector = makeLabelSelector([], true);

// ---- label selector lexer/parser (as labels.Parse) ----

type Tok =
  | { t: 'id'; v: string }
  | { t: 'op'; v: '=' | '==' | '!=' | '!' | '>' | '<' }
  | { t: 'in' } | { t: 'notin' } | { t: '(' } | { t: ')' } | { t: ',' } | { t: 'end' };

const special = new Set([' ', '\t', '\n', '\r', '!', '=', '(', ')', ',', '<', '>']);

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ t: c }); i++; continue; }
    if (c === '=' ) { if (s[i + 1] === '=') { out.push({ t: 'op', v: '==' }); i += 2; } else { out.push({ t: 'op', v: '=' }); i++; } continue; }
    if (c === '!') { if (s[i + 1] === '=') { out.push({ t: 'op', v: '!=' }); i += 2; } else { out.push({ t: 'op', v: '!' }); i++; } continue; }
    if (c === '>' || c === '<') { out.push({ t: 'op', v: c }); i++; continue; }
    let j = i;
    while (j < s.length && !special.has(s[j])) j++;
    const word = s.slice(i, j);
    if (word === 'in') out.push({ t: 'in' });
    else if (word === 'notin') out.push({ t: 'notin' });
    else out.push({ t: 'id', v: word });
    i = j;
  }
  out.push({ t: 'end' });
  return out;
}

function tokText(t: Tok): string {
  switch (t.t) {
    case 'id': return t.v;
    case 'op': return t.v;
    case 'end': return '';
    default: return t.t;
  }
}

const qualifiedNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Validation of a label key as labels.Parse does it (qualified name). Returns an error text or undefined. */
export function labelKeyError(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253 || !dns1123SubdomainRe.test(prefix)) return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  } else if (parts.length > 2) {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!qualifiedNameRe.test(name)) return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  return undefined;
}

export function labelValueError(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!labelValueRe.test(v)) return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  return undefined;
}

function checkKey(key: string): void {
  const e = labelKeyError(key);
  if (e) throw new SelectorError(`unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ${e}`);
}
function checkValue(i: number, key: string, v: string): void {
  const e = labelValueError(v);
  if (e) throw new SelectorError(`unable to parse requirement: values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${e}`);
}

/** Parse a label selector string (`labelSelector=` query parameter). Empty string selects everything. */
export function parseLabelSelector(s: string): LabelSelector {
  const toks = lex(s);
  let p = 0;
  const reqs: Requirement[] = [];
  const peek = () => toks[p];
  const next = () => toks[p++];
  if (peek().t === 'end') return everything;
  for (;;) {
    let t = next();
    if (t.t === 'op' && t.v === '!') {
      const k = next();
      if (k.t !== 'id') throw new SelectorError(`unable to parse requirement: found '${tokText(k)}', expected: identifier`);
      checkKey(k.v);
      reqs.push({ key: k.v, operator: '!', values: [] });
    } else if (t.t === 'id') {
      const key = t.v;
      checkKey(key);
      const op = peek();
      if (op.t === ',' || op.t === 'end') {
        reqs.push({ key, operator: 'exists', values: [] });
      } else if (op.t === 'in' || op.t === 'notin') {
        next();
        const open = next();
        if (open.t !== '(') throw new SelectorError(`unable to parse requirement: found '${tokText(open)}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (v.t === 'id') {
            values.push(v.v);
            const sep = next();
            if (sep.t === ')') break;
            if (sep.t !== ',') throw new SelectorError(`unable to parse requirement: found '${tokText(sep)}', expected: ',' or ')'`);
          } else if (v.t === ')') { if (values.length === 0) values.push(''); break; }
          else if (v.t === ',') { values.push(''); }
          else throw new SelectorError(`unable to parse requirement: found '${tokText(v)}', expected: ',', ')' or identifier`);
        }
        values.forEach((v, i) => checkValue(i, key, v));
        reqs.push({ key, operator: op.t, values: [...new Set(values)] });
      } else if (op.t === 'op' && op.v !== '!') {
        next();
        const v = peek();
        let value = '';
        if (v.t === 'id') { next(); value = v.v; } else if (v.t !== ',' && v.t !== 'end') {
          throw new SelectorError(`unable to parse requirement: found '${tokText(v)}', expected: identifier`);
        }
        if (op.v === '>' || op.v === '<') {
          if (!/^-?\d+$/.test(value)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
          reqs.push({ key, operator: op.v === '>' ? 'gt' : 'lt', values: [value] });
        } else {
          checkValue(0, key, value);
          reqs.push({ key, operator: op.v, values: [value] });
        }
      } else {
        throw new SelectorError(`unable to parse requirement: found '${tokText(op)}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      throw new SelectorError(`unable to parse requirement: found '${tokText(t)}', expected: !, identifier`);
    }
    t = next();
    if (t.t === 'end') break;
    if (t.t !== ',') throw new SelectorError(`found '${tokText(t)}', expected: ',' or 'end'`);
    if (peek().t === 'end') throw new SelectorError(`found '', expected: !, identifier`);
  }
  return makeLabelSelector(reqs);
}

/** metav1.LabelSelector (matchLabels + matchExpressions). */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * metav1.LabelSelectorAsSelector: nil → nothing, empty → everything.
 */
export function selectorFromSpec(spec: LabelSelectorSpec | null | undefined): LabelSelector {
  if (spec === null || spec === undefined) return nothing;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(spec.matchLabels ?? {})) reqs.push({ key: k, operator: '=', values: [v] });
  for (const e of spec.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In': reqs.push({ key: e.key, operator: 'in', values: [...(e.values ?? [])] }); break;
      case 'NotIn': reqs.push({ key: e.key, operator: 'notin', values: [...(e.values ?? [])] }); break;
      case 'Exists': reqs.push({ key: e.key, operator: 'exists', values: [] }); break;
      case 'DoesNotExist': reqs.push({ key: e.key, operator: '!', values: [] }); break;
      default: throw new SelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    }
  }
  return makeLabelSelector(reqs);
}

/** A map selector (Service, ReplicationController): every pair must match; empty = everything. */
export function selectorFromMap(m: Record<string, string> | undefined): LabelSelector {
  return makeLabelSelector(Object.entries(m ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] })));
}

/** metav1.FormatLabelSelector: `<none>` for empty, `<error>` when invalid. */
export function formatLabelSelector(spec: LabelSelectorSpec | null | undefined): string {
  if (!spec) return '<none>';
  let s: string;
  try { s = selectorFromSpec(spec).toString(); } catch { return '<error>'; }
  return s === '' ? '<none>' : s;
}

/** labels.FormatLabels: sorted `k=v,k2=v2`, `<none>` when empty. */
export function formatLabels(m: Record<string, string> | undefined | null): string {
  const keys = Object.keys(m ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${m![k]}`).join(',');
}

// ---- field selectors ----

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
  /** `get(field)` gives the object's value for a field. */
  matches(get: (field: string) => string | undefined): boolean;
  empty(): boolean;
  /** The value required for `field` with = or ==, if the selector pins it. */
  requiresExactMatch(field: string): string | undefined;
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) { cur += c + s[i + 1]; i++; continue; }
    if (c === sep) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

function unescapeField(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '\\' || n === ',' || n === '=' || n === '!') { out += n; i++; continue; }
      throw new SelectorError(`invalid field selector: invalid escape sequence: ${s}`);
    }
    out += c;
  }
  return out;
}

/** Parse a field selector string (`fieldSelector=` query parameter). */
export function parseFieldSelector(s: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (s.trim() !== '') {
    for (const part of splitUnescaped(s, ',')) {
      if (part === '') continue;
      let m: RegExpExecArray | null = null;
      // find the first unescaped operator
      let opAt = -1; let op: FieldRequirement['operator'] = '=';
      for (let i = 0; i < part.length; i++) {
        if (part[i] === '\\') { i++; continue; }
        if (part.startsWith('!=', i)) { opAt = i; op = '!='; break; }
        if (part.startsWith('==', i)) { opAt = i; op = '=='; break; }
        if (part[i] === '=') { opAt = i; op = '='; break; }
      }
      void m;
      if (opAt < 0) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
      const field = unescapeField(part.slice(0, opAt).trim());
      const value = unescapeField(part.slice(opAt + op.length));
      reqs.push({ field, operator: op, value });
    }
  }
  return {
    requirements: reqs,
    matches: (get) => {
      for (const r of reqs) {
        const v = get(r.field) ?? '';
        if (r.operator === '!=' ? v === r.value : v !== r.value) return false;
      }
      return true;
    },
    empty: () => reqs.length === 0,
    requiresExactMatch: (field) => {
      for (const r of reqs) if (r.field === field && r.operator !== '!=') return r.value;
      return undefined;
    },
  };
}
