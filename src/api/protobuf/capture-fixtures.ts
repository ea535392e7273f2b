/**
 * Re-captures `fixtures/kubectl-<version>.json`: runs each command below with kubectl 1.31, 1.32
 * and 1.33 against the recording server and stores every non-GET request (method, path, content
 * type, body — base64 for protobuf, text otherwise).
 *
 *   node dist/src/api/protobuf/capture-fixtures.js [versions...]
 *   node dist/src/api/protobuf/capture-fixtures.js --table     (the README's table, from the fixtures)
 *
 * Fixture inputs are deterministic except the TLS key pair, which is made fresh by openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../object.js';
import { decodeProtobufBody } from './decode.js';
import { startKubectlRecorder, type RecorderOptions } from './kubectl-recorder.js';

export interface CapturedRequest {
  method: string;
  path: string;
  contentType?: string;
  /** base64 when the body is protobuf, text otherwise. */
  body?: string;
  bodyEncoding?: 'base64' | 'text';
}
export interface CapturedCommand {
  args: string[];
  code: number;
  stderr?: string;
  requests: CapturedRequest[];
}

const labels = { app: 'web' };
const podTemplate = {
  metadata: { labels },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
};

/** Objects every command sees. */
export function seedObjects(): KubeObject[] {
  const deployUid = '11111111-1111-1111-1111-111111111111';
  const rs = (rev: string, image: string): KubeObject => ({
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name: `web-${rev}`, namespace: 'default', uid: `rs-${rev}`, resourceVersion: '5', labels: { ...labels, 'pod-template-hash': `h${rev}` },
      annotations: { 'deployment.kubernetes.io/revision': rev },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deployUid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas: rev === '2' ? 1 : 0, selector: { matchLabels: { ...labels, 'pod-template-hash': `h${rev}` } }, template: { ...podTemplate, metadata: { labels: { ...labels, 'pod-template-hash': `h${rev}` } }, spec: { containers: [{ name: 'web', image }] } } },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', uid: 'ns-default', resourceVersion: '1' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', uid: deployUid, resourceVersion: '7', generation: 2, labels, annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: podTemplate, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, revisionHistoryLimit: 10 },
      status: { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 },
    },
    rs('1', 'nginx:1.24'),
    rs('2', 'nginx:1.25'),
    {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'web-abc', namespace: 'default', uid: 'pod-1', resourceVersion: '9', labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-2', uid: 'rs-2', controller: true }] },
      spec: { nodeName: 'node1', securityContext: {}, containers: [{ name: 'web', image: 'nginx:1.25' }] },
      status: { phase: 'Running' },
    },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1', uid: 'node-1', resourceVersion: '3', labels: { 'kubernetes.io/hostname': 'node1' } }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default', uid: 'sa-0', resourceVersion: '2' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1', namespace: 'default', uid: 'sa-1', resourceVersion: '2' } },
    {
      apiVersion: 'batch/v1', kind: 'CronJob',
      metadata: { name: 'cj1', namespace: 'default', uid: 'cj-1', resourceVersion: '4' },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox', command: ['date'] }] } } } } },
    },
    {
      apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest',
      metadata: { name: 'csr1', uid: 'csr-1', resourceVersion: '6' },
      spec: { request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n').toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], username: 'u' },
      status: {},
    },
  ];
}

/** The commands captured; `{dir}` in an argument is replaced by the input files' directory. */
export const captureCommands: Record<string, string[]> = {
  'create-namespace': ['create', 'namespace', 'ns1'],
  'create-configmap': ['create', 'configmap', 'cm1', '--from-literal=a=b', '--from-literal=empty=', '--from-file=bin={dir}/blob.bin'],
  'create-secret-generic': ['create', 'secret', 'generic', 's1', '--from-literal=password=p@ss', '--from-file=bin={dir}/blob.bin', '--type=Opaque'],
  'create-secret-docker-registry': ['create', 'secret', 'docker-registry', 'reg1', '--docker-server=r.example', '--docker-username=u', '--docker-password=p'],
  'create-secret-tls': ['create', 'secret', 'tls', 'tls1', '--cert={dir}/tls.crt', '--key={dir}/tls.key'],
  'create-serviceaccount': ['create', 'serviceaccount', 'sa2'],
  'create-service-clusterip': ['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080', '--tcp=443:https'],
  'create-service-clusterip-headless': ['create', 'service', 'clusterip', 'svc1h', '--clusterip=None'],
  'create-service-nodeport': ['create', 'service', 'nodeport', 'svc2', '--tcp=80:8080', '--node-port=30080'],
  'create-service-loadbalancer': ['create', 'service', 'loadbalancer', 'svc3', '--tcp=443:8443'],
  'create-service-externalname': ['create', 'service', 'externalname', 'svc4', '--external-name=example.com'],
  'create-deployment': ['create', 'deployment', 'd1', '--image=nginx:1.25', '--replicas=2', '--port=80'],
  'create-deployment-command': ['create', 'deployment', 'd2', '--image=busybox', '--', 'sleep', '3600'],
  'create-job': ['create', 'job', 'j1', '--image=busybox', '--', 'echo', 'hi'],
  'create-job-from-cronjob': ['create', 'job', 'j2', '--from=cronjob/cj1'],
  'create-cronjob': ['create', 'cronjob', 'cj2', '--image=busybox', '--schedule=*/5 * * * *', '--restart=OnFailure', '--', 'date'],
  'create-token': ['create', 'token', 'sa1', '--duration=1h', '--audience=api'],
  'create-token-bound': ['create', 'token', 'sa1', '--bound-object-kind=Pod', '--bound-object-name=web-abc', '--bound-object-uid=pod-1'],
  'create-quota': ['create', 'quota', 'q1', '--hard=cpu=1,memory=1Gi,pods=10,requests.storage=500Mi', '--scopes=BestEffort'],
  'create-priorityclass': ['create', 'priorityclass', 'pc1', '--value=1000', '--description=high', '--preemption-policy=Never'],
  'create-priorityclass-default': ['create', 'priorityclass', 'pc2', '--value=0', '--global-default'],
  'create-pdb-min': ['create', 'poddisruptionbudget', 'pdb1', '--selector=app=web', '--min-available=50%'],
  'create-pdb-max': ['create', 'poddisruptionbudget', 'pdb2', '--selector=app=web', '--max-unavailable=1'],
  'create-ingress': ['create', 'ingress', 'ing1', '--rule=foo.com/bar*=svc1:80,tls=my-cert', '--class=nginx'],
  'create-role': ['create', 'role', 'r1', '--verb=get', '--resource=pods'],
  'create-rolebinding': ['create', 'rolebinding', 'rb1', '--role=r1', '--user=u1'],
  'create-clusterrole': ['create', 'clusterrole', 'cr1', '--verb=get', '--resource=nodes'],
  'create-clusterrolebinding': ['create', 'clusterrolebinding', 'crb1', '--clusterrole=cr1', '--group=g1'],
  'run': ['run', 'p1', '--image=nginx', '--port=80', '--labels=a=b', '--env=X=1', '--restart=Never'],
  'run-command': ['run', 'p2', '--image=busybox', '--command', '--', 'sh', '-c', 'echo hi'],
  'expose': ['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '--name=web-svc'],
  'scale': ['scale', 'deployment', 'web', '--replicas=3'],
  'autoscale': ['autoscale', 'deployment', 'web', '--min=1', '--max=3', '--cpu-percent=50'],
  'label': ['label', 'pod', 'web-abc', 'x=y'],
  'annotate': ['annotate', 'pod', 'web-abc', 'x=y'],
  'delete': ['delete', 'pod', 'web-abc', '--wait=false'],
  'delete-grace': ['delete', 'pod', 'web-abc', '--grace-period=5', '--wait=false'],
  'drain': ['drain', 'node1', '--ignore-daemonsets', '--force', '--timeout=10s'],
  'cordon': ['cordon', 'node1'],
  'taint': ['taint', 'nodes', 'node1', 'k=v:NoSchedule'],
  'set-image': ['set', 'image', 'deployment/web', 'web=nginx:2'],
  'set-env': ['set', 'env', 'deployment/web', 'A=1'],
  'rollout-restart': ['rollout', 'restart', 'deployment/web'],
  'rollout-undo': ['rollout', 'undo', 'deployment/web'],
  'patch': ['patch', 'deployment', 'web', '-p', '{"spec":{"replicas":2}}'],
  'create-f': ['create', '-f', '{dir}/deploy.yaml', '--validate=false'],
  'apply-f': ['apply', '-f', '{dir}/deploy.yaml', '--validate=false'],
  'replace-f': ['replace', '-f', '{dir}/web.yaml', '--validate=false'],
  'auth-can-i': ['auth', 'can-i', 'get', 'pods'],
  'auth-whoami': ['auth', 'whoami'],
  'debug-node': ['debug', 'node/node1', '--image=busybox'],
  'certificate-approve': ['certificate', 'approve', 'csr1'],
  'certificate-deny': ['certificate', 'deny', 'csr1'],
  'auth-reconcile': ['auth', 'reconcile', '-f', '{dir}/rbac.yaml'],
  'create-dry-run-server': ['create', 'configmap', 'cm9', '--from-literal=a=b', '--dry-run=server'],
  'debug-pod-copy': ['debug', 'web-abc', '--image=busybox', '--copy-to=web-copy', '--profile=general'],
  'debug-pod-ephemeral': ['debug', 'web-abc', '--image=busybox', '--profile=general'],
  'rollout-pause': ['rollout', 'pause', 'deployment/web'],
  'apply-server-side': ['apply', '--server-side', '-f', '{dir}/deploy.yaml', '--validate=false'],
  'delete-cascade-foreground': ['delete', 'deployment', 'web', '--cascade=foreground', '--wait=false'],
};

/** Writes the command inputs into `dir`. */
export function writeInputs(dir: string): void {
  writeFileSync(join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80, 0x7f, 10, 13, 0xc3]));
  writeFileSync(join(dir, 'deploy.yaml'), [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: fromfile', '  labels: {app: ff}', 'spec:', '  replicas: 2',
    '  selector: {matchLabels: {app: ff}}', '  template:', '    metadata: {labels: {app: ff}}', '    spec:', '      containers:',
    '      - name: c', '        image: nginx', '        resources: {limits: {cpu: 500m, memory: 128Mi}}', '',
  ].join('\n'));
  writeFileSync(join(dir, 'web.yaml'), [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web', '  namespace: default', 'spec:', '  replicas: 4',
    '  selector: {matchLabels: {app: web}}', '  template:', '    metadata: {labels: {app: web}}', '    spec:', '      containers:',
    '      - name: web', '        image: nginx:1.26', '',
  ].join('\n'));
  writeFileSync(join(dir, 'rbac.yaml'), [
    'apiVersion: rbac.authorization.k8s.io/v1', 'kind: Role', 'metadata: {name: reader, namespace: default}',
    'rules:', '- apiGroups: [""]', '  resources: [pods]', '  verbs: [get, list]', '---',
    'apiVersion: rbac.authorization.k8s.io/v1', 'kind: RoleBinding', 'metadata: {name: reader, namespace: default}',
    'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}', 'subjects:', '- {kind: User, name: u1, apiGroup: rbac.authorization.k8s.io}', '',
  ].join('\n'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=tls1',
    '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
}

function isProtobuf(ct: string | undefined): boolean {
  return !!ct && ct.startsWith('application/vnd.kubernetes.protobuf');
}

/** Runs every command with one kubectl version; each command gets a fresh recorder. */
export async function captureVersion(version: string, dir: string, options: RecorderOptions = { decodeProtobuf: decodeProtobufBody }): Promise<Record<string, CapturedCommand>> {
  const out: Record<string, CapturedCommand> = {};
  for (const [name, template] of Object.entries(captureCommands)) {
    const args = template.map((a) => a.replaceAll('{dir}', dir));
    const rec = await startKubectlRecorder({ objects: seedObjects(), ...options });
    try {
      const r = await rec.kubectl(version, args, { timeoutMs: 30_000 });
      out[name] = {
        args: template,
        code: r.code,
        ...(r.code !== 0 ? { stderr: r.stderr.trim().slice(0, 500) } : {}),
        requests: rec.writes().map((q) => ({
          method: q.method,
          path: q.path,
          ...(q.contentType ? { contentType: q.contentType } : {}),
          ...(q.body.length ? (isProtobuf(q.contentType)
            ? { body: q.body.toString('base64'), bodyEncoding: 'base64' as const }
            : { body: q.body.toString('utf8'), bodyEncoding: 'text' as const }) : {}),
        })),
      };
    } finally {
      await rec.close();
    }
  }
  return out;
}

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/api/protobuf/fixtures');

/** The README's table: per command, its requests and their content types by kubectl version. */
export function readmeTable(captures: Record<string, Record<string, CapturedCommand>>): string {
  const versions = Object.keys(captures);
  const short = (t?: string) => !t ? '-' : t.replace('application/vnd.kubernetes.protobuf', '**protobuf**').replace('application/', '');
  const first = captures[versions[0]];
  const ref = captures[versions[1] ?? versions[0]];
  const rows = Object.keys(first).map((name) => {
    const reqs = ref[name]?.requests ?? [];
    const line = reqs.map((q) => `${q.method} ${q.path.split('?')[0].replace(/^\/apis?\//, '').replace('namespaces/default/', 'ns/…/')}`).join('; ');
    const types = versions.map((v) => (captures[v][name]?.requests ?? []).map((q) => short(q.contentType)).join(', '));
    return `| \`kubectl ${first[name].args.join(' ').replaceAll('{dir}/', '').replaceAll('|', '\\|')}\` | ${line} | ${types.join(' | ')} |`;
  });
  return [`| command | request | ${versions.join(' | ')} |`, `| --- | --- | ${versions.map(() => '---').join(' | ')} |`, ...rows].join('\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--table') {
    const captures: Record<string, Record<string, CapturedCommand>> = {};
    for (const v of ['1.31', '1.32', '1.33']) captures[v] = JSON.parse(readFileSync(join(fixturesDir, `kubectl-${v}.json`), 'utf8')) as Record<string, CapturedCommand>;
    process.stdout.write(readmeTable(captures) + '\n');
    return;
  }
  const versions = process.argv.slice(2).length ? process.argv.slice(2) : ['1.31', '1.32', '1.33'];
  const dir = mkdtempSync(join(tmpdir(), 'capture-fixtures-'));
  try {
    writeInputs(dir);
    for (const v of versions) {
      const result = await captureVersion(v, dir);
      writeFileSync(join(fixturesDir, `kubectl-${v}.json`), JSON.stringify(result, null, 1) + '\n');
      const summary = Object.entries(result).map(([n, c]) => `${n}: ${c.code} ${c.requests.map((q) => `${q.method} ${q.path.split('?')[0]} ${q.contentType ?? ''}`).join('; ')}`);
      process.stdout.write(`== kubectl ${v}\n${summary.join('\n')}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => { process.stderr.write(String(e) + '\n'); process.exitCode = 1; });
}
