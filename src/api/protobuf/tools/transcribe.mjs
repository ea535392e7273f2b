#!/usr/bin/env node
/**
 * Helps transcribe our protobuf schema (../proto/*.proto) from Kubernetes' sources.
 *
 *   node src/api/protobuf/tools/transcribe.mjs <k8s.io/api git dir> <k8s.io/apimachinery git dir>
 *
 * For each package it reads the upstream `generated.proto` (wire facts: message names, field
 * numbers, names, types) and the Go structs of `*.go` (JSON facts: json name, omitempty, pointer,
 * inline) and writes a compact schema with no upstream comments, where every field's JSON
 * behaviour is recorded as options:
 *   (k8s.ptr)=true     Go pointer: present on the wire only when set; a zero value is kept in JSON.
 *   (k8s.req)=true     Go non-pointer scalar without omitempty: written to JSON even when zero.
 *   (k8s.inline)=true  embedded struct: its fields are written inline in the parent's JSON.
 *   (k8s.json)="x"     JSON name differs from the protobuf field name.
 *   option (k8s.list)=true on a message: a Go named slice (`type ExtraValue []string`), JSON array.
 * A non-pointer scalar with omitempty (the default, no option) is always on the wire and left out
 * of JSON when zero.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [apiDir, machineryDir] = process.argv.slice(2);
if (!apiDir || !machineryDir) {
  process.stderr.write('usage: transcribe.mjs <k8s.io/api git dir> <k8s.io/apimachinery git dir>\n');
  process.exit(2);
}
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto');

const git = (dir, ...args) => execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const show = (dir, path) => git(dir, 'show', `HEAD:${path}`);
const ls = (dir, path) => git(dir, 'ls-tree', '--name-only', 'HEAD', path + '/').split('\n').filter(Boolean);

/** Packages: [repo dir, path, output file]. */
const packages = [
  [machineryDir, 'pkg/api/resource', 'resource.proto'],
  [machineryDir, 'pkg/util/intstr', 'intstr.proto'],
  [machineryDir, 'pkg/runtime', 'runtime.proto'],
  [machineryDir, 'pkg/runtime/schema', 'runtime-schema.proto'],
  [machineryDir, 'pkg/apis/meta/v1', 'meta-v1.proto'],
  ...['core/v1', 'apps/v1', 'batch/v1', 'policy/v1', 'scheduling/v1', 'authentication/v1', 'authorization/v1',
    'autoscaling/v1', 'autoscaling/v2', 'coordination/v1', 'discovery/v1', 'events/v1', 'networking/v1', 'rbac/v1', 'certificates/v1',
  ].map((p) => [apiDir, p, `${p.replace('/', '-')}.proto`]),
];

function stripComments(s) {
  return s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** Go structs: name → Map<protobuf field number, {goName, goType, json, omitempty}>; plus named slices. */
function goStructs(dir, path) {
  const structs = new Map();
  const namedSlices = new Set();
  for (const f of ls(dir, path)) {
    if (!f.endsWith('.go') || f.endsWith('_test.go') || f.includes('zz_generated') || f.endsWith('generated.pb.go')) continue;
    const src = show(dir, f);
    for (const m of src.matchAll(/^type (\w+) \[\]/gm)) namedSlices.add(m[1]);
    for (const m of src.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
      const fields = new Map();
      for (const line of m[2].split('\n')) {
        const t = line.trim();
        let goName, goType, tags;
        let mm = /^(\w+)\s+([*\[\]\w.]+)\s+`(.*)`/.exec(t);
        if (mm) [, goName, goType, tags] = mm;
        else if ((mm = /^([*\w.]+)\s+`(.*)`/.exec(t))) { [, goType, tags] = mm; goName = ''; }
        else continue;
        const pb = /protobuf:"([^"]*)"/.exec(tags);
        if (!pb) continue;
        const parts = pb[1].split(',');
        const num = Number(parts[1]);
        const js = /json:"([^"]*)"/.exec(tags);
        const jparts = js ? js[1].split(',') : [''];
        fields.set(num, { goName, goType, json: jparts[0], omitempty: jparts.includes('omitempty'), inline: (goName === '' && jparts[0] === '') || jparts.includes('inline') });
      }
      structs.set(m[1], fields);
    }
  }
  return { structs, namedSlices };
}

const scalarTypes = new Set(['string', 'int32', 'int64', 'bool', 'double', 'float', 'bytes', 'uint32', 'uint64']);
let warnings = 0;
const ourPackages = new Set(packages.map(([dir, path]) => /package ([\w.]+);/.exec(show(dir, `${path}/generated.proto`))[1]));

for (const [dir, path, out] of packages) {
  const proto = stripComments(show(dir, `${path}/generated.proto`));
  const pkg = /package ([\w.]+);/.exec(proto)[1];
  const { structs, namedSlices } = goStructs(dir, path);
  const lines = [
    `// Our schema for ${pkg}, transcribed from Kubernetes' ${path}/generated.proto`,
    `// (field numbers, names and types are the wire format) and the Go struct tags (the (k8s.*) options;`,
    `// see tools/transcribe.mjs for their meaning).`,
    'syntax = "proto2";',
    `package ${pkg};`,
    '',
  ];
  for (const m of proto.matchAll(/^message (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const [, name, body] = m;
    const go = structs.get(name);
    const msgOpts = [];
    if (namedSlices.has(name)) msgOpts.push('  option (k8s.list) = true;');
    const fieldLines = [];
    for (const fm of body.matchAll(/^\s*(optional|repeated)?\s*(map<[\w.]+,\s*[\w.]+>|[\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;/gm)) {
      const [, rule, type, fname, num] = fm;
      const refs = [...type.matchAll(/\.?(k8s\.io\.[\w.]+)\.\w+/g)].map((r) => r[1]);
      const missing = refs.find((ref) => !ourPackages.has(ref));
      if (missing) {
        fieldLines.push(`  // field ${num} (${fname}) left out: its type is in ${missing}, a package this schema does not have`);
        continue;
      }
      const opts = [];
      const gf = go?.get(Number(num));
      const isMap = type.startsWith('map<');
      const special = /\.(runtime|resource|intstr|schema)$/.test(pkg) || ['Time', 'MicroTime', 'Duration', 'FieldsV1'].includes(name);
      if (gf && !special) {
        if (gf.inline) opts.push('(k8s.inline) = true');
        else if (gf.json !== fname) opts.push(`(k8s.json) = "${gf.json}"`);
        if (rule !== 'repeated' && !isMap) {
          if (gf.goType.startsWith('*')) opts.push('(k8s.ptr) = true');
          else if (scalarTypes.has(type) && type !== 'bytes' && !gf.omitempty) opts.push('(k8s.req) = true');
        }
      } else if (!gf && !special && !namedSlices.has(name)) {
        {
          process.stderr.write(`warning: ${pkg}.${name}.${fname} (${num}): no Go field found\n`);
          warnings++;
        }
      }
      const head = isMap ? `${type.replace(/\s+/g, ' ')} ${fname} = ${num}` : `${rule ?? 'optional'} ${type} ${fname} = ${num}`;
      fieldLines.push(`  ${head}${opts.length ? ` [${opts.join(', ')}]` : ''};`);
    }
    lines.push(`message ${name} {`, ...msgOpts, ...fieldLines, '}', '');
  }
  writeFileSync(join(outDir, out), lines.join('\n'));
}
process.stderr.write(`done, ${warnings} warnings\n`);
