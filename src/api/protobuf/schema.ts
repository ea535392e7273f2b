/**
 * Our protobuf schema for Kubernetes objects: the `.proto` files in `proto/` (transcribed from
 * Kubernetes' generated.proto files, see tools/transcribe.mjs), loaded once with protobufjs and
 * turned into flat field tables the decoder and encoder walk.
 *
 * Each field also carries how Go's JSON encoding treats it (options `(k8s.ptr)`, `(k8s.req)`,
 * `(k8s.inline)`, `(k8s.json)`), because the JSON form of a decoded object must be what
 * Kubernetes' own JSON encoding of the same Go value would be.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { parseApiVersion } from '../object.js';

export type ScalarType = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'float';

/** Kubernetes types with a JSON form of their own. */
export type SpecialType = 'time' | 'microtime' | 'duration' | 'quantity' | 'intorstring' | 'rawextension' | 'fieldsv1';

export interface FieldInfo {
  id: number;
  /** protobuf field name */
  name: string;
  /** JSON property name (unused for inline fields) */
  json: string;
  repeated: boolean;
  map: boolean;
  /** The field's (or the map value's) scalar type; undefined for messages. */
  scalar?: ScalarType;
  /** The field's (or the map value's) message type. */
  message?: MessageInfo;
  /** Go pointer: on the wire only when set; zero values kept in JSON. */
  ptr: boolean;
  /** Go non-pointer scalar without omitempty: zero values kept in JSON. */
  req: boolean;
  /** Go embedded struct: its fields are the parent's in JSON. */
  inline: boolean;
  /** `Message.field`, for error messages. */
  label: string;
}

export interface MessageInfo {
  fullName: string;
  /** Fields in ascending field-number order (Go's wire order). */
  fields: FieldInfo[];
  byId: Map<number, FieldInfo>;
  /** A Go named slice type (`type ExtraValue []string`): JSON is the `items` array. */
  list: boolean;
  special?: SpecialType;
}

const specialTypes: Record<string, SpecialType> = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'microtime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'fieldsv1',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intorstring',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'rawextension',
};

/** API groups → the k8s.io/api package holding their types (only groups whose .proto we have). */
const groupPackages: Record<string, string> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  policy: 'policy',
  autoscaling: 'autoscaling',
  'scheduling.k8s.io': 'scheduling',
  'authentication.k8s.io': 'authentication',
  'authorization.k8s.io': 'authorization',
  'coordination.k8s.io': 'coordination',
  'discovery.k8s.io': 'discovery',
  'events.k8s.io': 'events',
  'networking.k8s.io': 'networking',
  'rbac.authorization.k8s.io': 'rbac',
  'certificates.k8s.io': 'certificates',
};

const scalarNames = new Set<string>(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);

/** Where the .proto files are: beside this module when copied, else in the source tree. */
function protoDir(): string {
  const candidates = [new URL('./proto/', import.meta.url), new URL('../../../../src/api/protobuf/proto/', import.meta.url)];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  throw new Error(`protobuf schema: no proto/ directory at ${candidates.map((c) => fileURLToPath(c)).join(' or ')}`);
}

function loadRoot(): protobuf.Root {
  const dir = protoDir();
  const root = new protobuf.Root();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.proto')).sort()) {
    protobuf.parse(readFileSync(dir + f, 'utf8'), root, { keepCase: true });
  }
  root.resolveAll();
  return root;
}

export class Schema {
  private readonly infos = new Map<string, MessageInfo>();
  private readonly kinds = new Map<string, MessageInfo | null>();

  constructor(private readonly root: protobuf.Root) {}

  /** The message with this fully qualified name (without a leading dot). */
  message(fullName: string): MessageInfo {
    const known = this.infos.get(fullName);
    if (known) return known;
    const type = this.root.lookupType(fullName);
    return this.build(type);
  }

  private build(type: protobuf.Type): MessageInfo {
    const fullName = type.fullName.replace(/^\./, '');
    const info: MessageInfo = { fullName, fields: [], byId: new Map(), list: type.options?.['(k8s.list)'] === true };
    const special = specialTypes[fullName];
    if (special) info.special = special;
    this.infos.set(fullName, info); // before the fields: types refer to themselves (JSONSchemaProps)
    const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    for (const f of fields) {
      f.resolve();
      const o = f.options ?? {};
      const isMap = f instanceof protobuf.MapField;
      const fi: FieldInfo = {
        id: f.id,
        name: f.name,
        json: typeof o['(k8s.json)'] === 'string' ? (o['(k8s.json)'] as string) : f.name,
        repeated: f.repeated,
        map: isMap,
        ptr: o['(k8s.ptr)'] === true,
        req: o['(k8s.req)'] === true,
        inline: o['(k8s.inline)'] === true,
        label: `${type.name}.${f.name}`,
      };
      if (isMap && (f as protobuf.MapField).keyType !== 'string') throw new Error(`protobuf schema: ${fullName}.${f.name}: map keys other than string are not supported`);
      if (scalarNames.has(f.type)) fi.scalar = f.type as ScalarType;
      else if (f.resolvedType instanceof protobuf.Type) {
        const nested = f.resolvedType.fullName.replace(/^\./, '');
        fi.message = this.infos.get(nested) ?? this.build(f.resolvedType);
      } else throw new Error(`protobuf schema: ${fullName}.${f.name}: unsupported type ${f.type}`);
      info.fields.push(fi);
      info.byId.set(fi.id, fi);
    }
    return info;
  }

  /**
   * The message for a top-level object of this apiVersion and kind, or undefined when the schema
   * has none. `DeleteOptions` is meta/v1's in every group version, as Kubernetes registers it.
   */
  kind(apiVersion: string, kind: string): MessageInfo | undefined {
    const key = `${apiVersion}\0${kind}`;
    const known = this.kinds.get(key);
    if (known !== undefined) return known ?? undefined;
    let info: MessageInfo | null = null;
    if (/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
      const { group, version } = parseApiVersion(apiVersion);
      const names: string[] = [];
      if (kind === 'DeleteOptions' || group === 'meta.k8s.io') names.push(`k8s.io.apimachinery.pkg.apis.meta.v1.${kind}`);
      else if (/^v[0-9a-z]+$/.test(version) && Object.hasOwn(groupPackages, group)) names.push(`k8s.io.api.${groupPackages[group]}.${version}.${kind}`);
      for (const n of names) {
        const t = this.root.lookup(n);
        if (t instanceof protobuf.Type && (isTopLevel(t) || kind === 'DeleteOptions')) {
          info = this.message(n);
          break;
        }
      }
    }
    this.kinds.set(key, info);
    return info ?? undefined;
  }
}

/** A kind: a message whose field 1 is `metadata` (ObjectMeta or ListMeta). */
function isTopLevel(t: protobuf.Type): boolean {
  const f = t.fieldsById[1];
  return !!f && f.name === 'metadata' && /\.(ObjectMeta|ListMeta)$/.test(f.type);
}

let schema: Schema | undefined;

/** The schema, loaded on first use and kept. */
export function k8sSchema(): Schema {
  schema ??= new Schema(loadRoot());
  return schema;
}

export const runtimeUnknown = 'k8s.io.apimachinery.pkg.runtime.Unknown';
/** The 4 bytes every Kubernetes protobuf body starts with. */
export const protobufMagic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
