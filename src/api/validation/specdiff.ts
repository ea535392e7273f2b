/**
 * A rendering of cmp.Diff(old, new) for a PodSpec, in the shape Kubernetes appends to
 * "pod updates may not change fields other than …": Go field names in the internal struct's
 * order, `-`/`+` lines for changed fields, two identical fields of context around each change,
 * the rest folded into `... // N identical fields`, names aligned within a block.
 */
import { goValue } from './govalue.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface FieldSpec { json: string; go: string; ptr?: boolean; t?: 's' | 'b' }

const podSpecFields: FieldSpec[] = [
  { json: 'volumes', go: 'Volumes' }, { json: 'initContainers', go: 'InitContainers' }, { json: 'containers', go: 'Containers' },
  { json: 'ephemeralContainers', go: 'EphemeralContainers' }, { t: 's', json: 'restartPolicy', go: 'RestartPolicy' },
  { json: 'terminationGracePeriodSeconds', go: 'TerminationGracePeriodSeconds', ptr: true },
  { json: 'activeDeadlineSeconds', go: 'ActiveDeadlineSeconds', ptr: true }, { t: 's', json: 'dnsPolicy', go: 'DNSPolicy' },
  { json: 'nodeSelector', go: 'NodeSelector' }, { t: 's', json: 'serviceAccountName', go: 'ServiceAccountName' },
  { json: 'automountServiceAccountToken', go: 'AutomountServiceAccountToken', ptr: true }, { t: 's', json: 'nodeName', go: 'NodeName' },
  { json: 'securityContext', go: 'SecurityContext', ptr: true }, { t: 'b', json: 'hostNetwork', go: 'HostNetwork' }, { t: 'b', json: 'hostPID', go: 'HostPID' },
  { t: 'b', json: 'hostIPC', go: 'HostIPC' }, { json: 'shareProcessNamespace', go: 'ShareProcessNamespace', ptr: true },
  { json: 'hostUsers', go: 'HostUsers', ptr: true }, { json: 'imagePullSecrets', go: 'ImagePullSecrets' }, { t: 's', json: 'hostname', go: 'Hostname' },
  { t: 's', json: 'subdomain', go: 'Subdomain' }, { json: 'setHostnameAsFQDN', go: 'SetHostnameAsFQDN', ptr: true }, { json: 'affinity', go: 'Affinity', ptr: true },
  { t: 's', json: 'schedulerName', go: 'SchedulerName' }, { json: 'tolerations', go: 'Tolerations' }, { json: 'hostAliases', go: 'HostAliases' },
  { t: 's', json: 'priorityClassName', go: 'PriorityClassName' }, { json: 'priority', go: 'Priority', ptr: true },
  { json: 'preemptionPolicy', go: 'PreemptionPolicy', ptr: true }, { json: 'dnsConfig', go: 'DNSConfig', ptr: true },
  { json: 'readinessGates', go: 'ReadinessGates' }, { json: 'runtimeClassName', go: 'RuntimeClassName', ptr: true },
  { json: 'overhead', go: 'Overhead' }, { json: 'enableServiceLinks', go: 'EnableServiceLinks', ptr: true },
  { json: 'topologySpreadConstraints', go: 'TopologySpreadConstraints' }, { json: 'os', go: 'OS', ptr: true },
  { json: 'schedulingGates', go: 'SchedulingGates' }, { json: 'resourceClaims', go: 'ResourceClaims' },
  { json: 'resources', go: 'Resources', ptr: true },
];

const containerFields: FieldSpec[] = [
  { t: 's', json: 'name', go: 'Name' }, { t: 's', json: 'image', go: 'Image' }, { json: 'command', go: 'Command' }, { json: 'args', go: 'Args' },
  { t: 's', json: 'workingDir', go: 'WorkingDir' }, { json: 'ports', go: 'Ports' }, { json: 'envFrom', go: 'EnvFrom' }, { json: 'env', go: 'Env' },
  { json: 'resources', go: 'Resources' }, { json: 'resizePolicy', go: 'ResizePolicy' }, { json: 'restartPolicy', go: 'RestartPolicy', ptr: true },
  { json: 'volumeMounts', go: 'VolumeMounts' }, { json: 'volumeDevices', go: 'VolumeDevices' },
  { json: 'livenessProbe', go: 'LivenessProbe', ptr: true }, { json: 'readinessProbe', go: 'ReadinessProbe', ptr: true },
  { json: 'startupProbe', go: 'StartupProbe', ptr: true }, { json: 'lifecycle', go: 'Lifecycle', ptr: true },
  { t: 's', json: 'terminationMessagePath', go: 'TerminationMessagePath' }, { t: 's', json: 'terminationMessagePolicy', go: 'TerminationMessagePolicy' },
  { t: 's', json: 'imagePullPolicy', go: 'ImagePullPolicy' }, { json: 'securityContext', go: 'SecurityContext', ptr: true },
  { t: 'b', json: 'stdin', go: 'Stdin' }, { t: 'b', json: 'stdinOnce', go: 'StdinOnce' }, { t: 'b', json: 'tty', go: 'TTY' },
];

function empty(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

function same(a: unknown, b: unknown): boolean {
  if (empty(a) && empty(b)) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

const goNames: Record<string, string> = { containerPort: 'ContainerPort', hostIP: 'HostIP', dnsPolicy: 'DNSPolicy', tty: 'TTY' };
const goName = (k: string) => goNames[k] ?? k.charAt(0).toUpperCase() + k.slice(1);

/** A small struct as cmp prints it inline: {Name: "http", ContainerPort: 80}. */
function structLit(o: Obj): string {
  const parts = Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `${goName(k)}: ${isObj(v) ? structLit(v) : fmt(v)}`);
  return `{${parts.join(', ')}}`;
}

function fmt(v: unknown, ptr = false, t?: 's' | 'b'): string {
  if (v === undefined || v === null) return t === 's' ? '""' : t === 'b' ? 'false' : 'nil';
  const amp = ptr ? '&' : '';
  if (typeof v === 'string') return amp + JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return amp + String(v);
  const g = goValue(v);
  if (g !== undefined) return g;
  if (Array.isArray(v)) return v.length === 0 ? '{}' : `{${v.map((x) => (isObj(x) ? structLit(x) : fmt(x))).join(', ')}}`;
  return amp + structLit(v as Obj);
}

type Line = { kind: ' ' | '-' | '+'; name?: string; text: string; raw?: boolean };

function render(lines: Line[], depth: number): string[] {
  // align names within runs of single-line named entries, as gofmt does
  const out: string[] = [];
  const tabs = '\t'.repeat(depth);
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j < lines.length && lines[j].name !== undefined && !lines[j].raw) j++;
    const width = Math.max(0, ...lines.slice(i, j).map((l) => (l.name ?? '').length + 1));
    for (let k = i; k < j; k++) {
      const l = lines[k];
      out.push(`${l.kind} ${tabs}${(l.name + ':').padEnd(width)} ${l.text},`);
    }
    if (j < lines.length) {
      const l = lines[j];
      out.push(`${l.kind} ${tabs}${l.text}`);
      j++;
    }
    i = j;
  }
  return out;
}

function diffStruct(a: Obj, b: Obj, fields: FieldSpec[], typeName: string, depth: number, nestedContainers: boolean): string[] {
  const entries: { f: FieldSpec; equal: boolean }[] = fields.map((f) => ({ f, equal: same(a[f.json], b[f.json]) }));
  const show = entries.map((e, i) => !e.equal || entries.slice(Math.max(0, i - 2), i + 3).some((x) => !x.equal));
  const lines: Line[] = [];
  let folded = 0;
  const flush = () => {
    if (folded) lines.push({ kind: ' ', text: `... // ${folded} identical field${folded === 1 ? '' : 's'}`, raw: true });
    folded = 0;
  };
  entries.forEach((e, i) => {
    if (!show[i]) { folded++; return; }
    flush();
    const { f } = e;
    const av = a[f.json];
    const bv = b[f.json];
    if (e.equal) { lines.push({ kind: ' ', name: f.go, text: isObj(av) || (Array.isArray(av) && av.some(isObj)) ? (f.ptr ? '&{...}' : '{...}') : fmt(av, f.ptr, f.t) }); return; }
    if (nestedContainers && (f.json === 'containers' || f.json === 'initContainers') && Array.isArray(av) && Array.isArray(bv) && av.length === bv.length) {
      const inner: string[] = [];
      av.forEach((c, k) => {
        if (same(c, bv[k])) inner.push(`  ${'\t'.repeat(depth + 2)}{...},`);
        else {
          inner.push(`  ${'\t'.repeat(depth + 2)}{`);
          inner.push(...diffStruct(isObj(c) ? c : {}, isObj(bv[k]) ? (bv[k] as Obj) : {}, containerFields, '', depth + 2, false));
          inner.push(`  ${'\t'.repeat(depth + 2)}},`);
        }
      });
      lines.push({ kind: ' ', text: `${f.go}: []core.Container{`, raw: true });
      lines.push({ kind: ' ', text: `__INNER__${inner.join('\n')}`, raw: true });
      lines.push({ kind: ' ', text: '},', raw: true });
      return;
    }
    lines.push({ kind: '-', name: f.go, text: fmt(av, f.ptr, f.t) });
    lines.push({ kind: '+', name: f.go, text: fmt(bv, f.ptr, f.t) });
  });
  flush();
  const body = render(lines, depth + 1).map((l) => (l.includes('__INNER__') ? l.slice(l.indexOf('__INNER__') + '__INNER__'.length) : l));
  return typeName ? [`  ${'\t'.repeat(depth)}${typeName}{`, ...body, `  ${'\t'.repeat(depth)}}`] : body;
}

/** cmp.Diff-style text for two pod specs (v1 JSON). */
export function podSpecDiff(oldSpec: Obj, newSpec: Obj): string {
  return diffStruct(oldSpec, newSpec, podSpecFields, 'core.PodSpec', 0, true).join('\n') + '\n';
}
