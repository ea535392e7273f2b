/**
 * Bad values as Kubernetes prints them in field errors: Go's %#v of the internal type, for the
 * shapes users meet most (label maps, string lists, label selectors, int lists). Anything else
 * returns undefined and is shown as JSON.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const q = (s: string) => JSON.stringify(s);

export function goStringMap(m: Record<string, unknown> | undefined | null): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${q(k)}:${q(String(m[k]))}`).join(', ')}}`;
}

export function goStringSlice(a: unknown[] | undefined | null): string {
  if (a === undefined || a === null) return '[]string(nil)';
  return `[]string{${a.map((x) => q(String(x))).join(', ')}}`;
}

function isStringMap(v: Obj): boolean {
  return Object.values(v).every((x) => typeof x === 'string');
}

function isLabelSelector(v: Obj): boolean {
  const keys = Object.keys(v);
  return keys.every((k) => k === 'matchLabels' || k === 'matchExpressions') &&
    (v.matchLabels === undefined || (isObj(v.matchLabels) && isStringMap(v.matchLabels))) &&
    (v.matchExpressions === undefined || Array.isArray(v.matchExpressions));
}

export function goLabelSelector(v: Obj): string {
  const exprs = v.matchExpressions as unknown[] | undefined;
  const ex = exprs === undefined
    ? '[]v1.LabelSelectorRequirement(nil)'
    : `[]v1.LabelSelectorRequirement{${exprs.map((e) => {
      const r = isObj(e) ? e : {};
      const values = Array.isArray(r.values) ? goStringSlice(r.values) : '[]string(nil)';
      return `v1.LabelSelectorRequirement{Key:${q(String(r.key ?? ''))}, Operator:${q(String(r.operator ?? ''))}, Values:${values}}`;
    }).join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(v.matchLabels as Obj | undefined)}, MatchExpressions:${ex}}`;
}

/** core.ServicePort{Protocol, Port} as the duplicate-port check prints it. */
export function goServicePortKey(protocol: string, port: number): string {
  return `core.ServicePort{Name:"", Protocol:${q(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

/** Go syntax for a bad value, or undefined when JSON is the best we can do. */
export function goValue(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return goStringSlice(v);
    if (v.every((x) => typeof x === 'number' && Number.isInteger(x))) return `[]int32{${v.join(', ')}}`;
    return undefined;
  }
  if (isObj(v)) {
    if (isLabelSelector(v) && Object.keys(v).length > 0) return goLabelSelector(v);
    if (isStringMap(v)) return goStringMap(v);
  }
  return undefined;
}
