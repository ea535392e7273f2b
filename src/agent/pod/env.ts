/**
 * A container's environment, resolved as the kubelet's makeEnvironmentVariables does: envFrom
 * (configMapRef/secretRef with prefix; invalid names skipped), then env in order — literal values
 * with $(VAR) expansion against what was defined before, valueFrom fieldRef, resourceFieldRef,
 * configMapKeyRef and secretKeyRef (optional ones may be missing). `expand` is the same
 * $(VAR) / $$ expansion the kubelet applies to command and args.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ObjectCache } from '../volumes/object-cache.js';
import { fieldRefValue, resourceFieldValue, type NodeAllocatable, type RuntimeFields } from './field-ref.js';

export class EnvError extends Error {}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Expands $(VAR) from `vars` (unknown references stay as written); $$ becomes $. */
export function expand(input: string, vars: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) { out += ch; continue; }
    const next = input[i + 1];
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) { out += input.slice(i); break; }
      const name = input.slice(i + 2, end);
      out += vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = end;
      continue;
    }
    out += ch;
  }
  return out;
}

export async function resolveEnv(pod: Pod, c: Container, objects: ObjectCache, rt: RuntimeFields, node: NodeAllocatable, serviceVars: Array<{ name: string; value: string }> = []): Promise<{ env: Array<{ name: string; value: string }>; invalidNames: string[] }> {
  const ns = pod.metadata!.namespace!;
  // Service variables come first; envFrom and env override them.
  const vars = new Map<string, string>(serviceVars.map((v) => [v.name, v.value]));
  const invalidNames: string[] = [];
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Map<string, Buffer> | null = null;
    if (from.configMapRef) {
      data = await objects.configMap(ns, from.configMapRef.name ?? '');
      if (!data && !from.configMapRef.optional) throw new EnvError(`configmap "${from.configMapRef.name}" not found`);
    } else if (from.secretRef) {
      data = (await objects.secret(ns, from.secretRef.name ?? ''))?.data ?? null;
      if (!data && !from.secretRef.optional) throw new EnvError(`secret "${from.secretRef.name}" not found`);
    }
    for (const [k, v] of data ?? []) {
      const name = prefix + k;
      if (!ENV_NAME.test(name)) { invalidNames.push(name); continue; }
      vars.set(name, v.toString('utf8'));
    }
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom === undefined) {
      vars.set(e.name, expand(e.value ?? '', vars));
      continue;
    }
    const f = e.valueFrom;
    if (f.fieldRef) vars.set(e.name, fieldRefValue(pod, f.fieldRef, rt));
    else if (f.resourceFieldRef) vars.set(e.name, resourceFieldValue(pod, c.name, f.resourceFieldRef, node));
    else if (f.configMapKeyRef) {
      const r = f.configMapKeyRef;
      const data = await objects.configMap(ns, r.name ?? '');
      if (!data) { if (r.optional) continue; throw new EnvError(`configmap "${r.name}" not found`); }
      const v = data.get(r.key);
      if (v === undefined) { if (r.optional) continue; throw new EnvError(`couldn't find key ${r.key} in ConfigMap ${ns}/${r.name}`); }
      vars.set(e.name, v.toString('utf8'));
    } else if (f.secretKeyRef) {
      const r = f.secretKeyRef;
      const s = await objects.secret(ns, r.name ?? '');
      if (!s) { if (r.optional) continue; throw new EnvError(`secret "${r.name}" not found`); }
      const v = s.data.get(r.key);
      if (v === undefined) { if (r.optional) continue; throw new EnvError(`couldn't find key ${r.key} in Secret ${ns}/${r.name}`); }
      vars.set(e.name, v.toString('utf8'));
    }
  }
  return { env: [...vars].map(([name, value]) => ({ name, value })), invalidNames };
}
