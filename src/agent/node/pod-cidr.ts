/**
 * An agent started without --pod-cidr takes its pod subnet from the server: it registers its Node
 * (without status yet, so nothing is scheduled onto it) and waits until the node IPAM controller
 * has written `spec.podCIDR` (watching that one Node, bounded by `timeoutMs`). A Node that already
 * has a podCIDR (an agent restart) is used at once.
 */
import type { KubeObject } from '../../api/object.js';
import type { KubeClient } from '../../client/types.js';
import { Informer } from '../../client/informer.js';
import { Resources } from '../../client/resources.js';
import { isAlreadyExists } from '../../client/errors.js';
import { logger } from '../../util/log.js';
import { hostFacts } from './host-facts.js';
import { initialNode, type NodeConfig } from './node-object.js';

const log = logger('agent-pod-cidr');

export function podCidrOf(node: KubeObject | undefined): string | undefined {
  const s = node?.spec as { podCIDR?: string; podCIDRs?: string[] } | undefined;
  return s?.podCIDR || s?.podCIDRs?.[0] || undefined;
}

export async function awaitNodePodCidr(o: { client: KubeClient; config: NodeConfig; dataDir: string; timeoutMs?: number }): Promise<string> {
  const name = o.config.nodeName;
  try {
    await o.client.create(Resources.nodes, undefined, initialNode(o.config, hostFacts(o.dataDir)));
    log.info('node registered; waiting for its podCIDR from the server', { node: name });
  } catch (err) { if (!isAlreadyExists(err)) throw err; }
  const informer = new Informer(o.client, Resources.nodes, { fieldSelector: `metadata.name=${name}` });
  const timeoutMs = o.timeoutMs ?? 300_000;
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${name} got no spec.podCIDR within ${timeoutMs / 1000} s (is the server's node IPAM controller running, is its --cluster-cidr exhausted?); or pass --pod-cidr`)), timeoutMs);
      const check = (n: KubeObject) => { const c = podCidrOf(n); if (c) { clearTimeout(timer); resolve(c); } };
      informer.addEventHandler({ onAdd: check, onUpdate: (_o, n) => check(n) });
      informer.start().catch((err: unknown) => { clearTimeout(timer); reject(err instanceof Error ? err : new Error(String(err))); });
    });
  } finally {
    informer.stop();
  }
}
