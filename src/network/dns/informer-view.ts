/** A ZoneView over the controller manager's shared informers (services, endpointslices, namespaces). */
import type { SharedInformers } from '../../client/shared-informers.js';
import { Resources } from '../../client/resources.js';
import type { ZoneView } from './cluster-zone.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function informerZoneView(informers: SharedInformers): ZoneView {
  const services = informers.for(Resources.services);
  const slices = informers.for(Resources.endpointslices);
  const namespaces = informers.for(Resources.namespaces);
  slices.addIndexer('dns-service', (s) => {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    return svc ? [`${s.metadata.namespace}/${svc}`] : [];
  });
  return {
    service: (ns, name) => services.get(`${ns}/${name}`),
    slices: (ns, name) => slices.byIndex('dns-service', `${ns}/${name}`),
    namespaceExists: (ns) => !!namespaces.get(ns),
  };
}
