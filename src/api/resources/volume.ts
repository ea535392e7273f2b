/** core/v1 PersistentVolume and PersistentVolumeClaim. */
import { defineResource } from './define.js';
import { age, ageColumn, col, get, nameColumn, str } from './print-util.js';

const modeAbbrev: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

function accessModes(v: unknown): string {
  const modes = Array.isArray(v) ? (v as string[]) : [];
  const out: string[] = [];
  for (const m of ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']) if (modes.includes(m)) out.push(modeAbbrev[m]);
  return out.join(',');
}

function storageClass(o: Record<string, unknown>): string {
  const a = (o.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  return a['volume.beta.kubernetes.io/storage-class'] ?? str(get(o, 'spec', 'storageClassName'));
}

export const persistentvolumes = defineResource({
  group: '', version: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'],
  subresources: { status: true },
  columns: [
    nameColumn,
    col('Capacity', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
    col('Reason', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn,
    col('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  row: (o, now) => {
    const claimRef = get(o, 'spec', 'claimRef') as Record<string, unknown> | undefined;
    const claim = claimRef ? `${str(claimRef.namespace)}/${str(claimRef.name)}` : '';
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(get(o, 'status', 'phase'));
    return [o.metadata.name ?? '', str(get(o, 'spec', 'capacity', 'storage')), accessModes(get(o, 'spec', 'accessModes')),
      str(get(o, 'spec', 'persistentVolumeReclaimPolicy')), phase, claim, storageClass(o),
      str(get(o, 'spec', 'volumeAttributesClassName')) || '<unset>', str(get(o, 'status', 'reason')), age(o, now),
      str(get(o, 'spec', 'volumeMode')) || '<unset>'];
  },
  strategy: { statusOnCreate: () => ({ phase: 'Pending' }) },
});

export const persistentvolumeclaims = defineResource({
  group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'],
  subresources: { status: true },
  columns: [
    nameColumn,
    col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
    ageColumn,
    col('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  row: (o, now) => {
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(get(o, 'status', 'phase'));
    const bound = str(get(o, 'spec', 'volumeName')) !== '';
    return [o.metadata.name ?? '', phase, str(get(o, 'spec', 'volumeName')),
      bound ? str(get(o, 'status', 'capacity', 'storage')) : '', bound ? accessModes(get(o, 'status', 'accessModes')) : '',
      storageClass(o), str(get(o, 'spec', 'volumeAttributesClassName')) || '<unset>', age(o, now),
      str(get(o, 'spec', 'volumeMode')) || '<unset>'];
  },
  strategy: { statusOnCreate: () => ({ phase: 'Pending' }) },
});
