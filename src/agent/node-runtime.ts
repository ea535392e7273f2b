/**
 * The parts of a node the agent drives, built from the data dir: the CNI bridge network (bridge
 * name and pod subnet configurable, so tests and several nodes on one host do not collide), the OCI
 * runtime (runc under conmon) and the image store (with DIR/registries.yaml).
 */
import { OciRuntime } from '../runtime/oci/oci-runtime.js';
import { BridgeNetwork } from '../network/cni/bridge-network.js';
import { ImageStore } from '../images/image-store.js';
import { imageStoreDir, registriesFile } from '../images/index.js';
import { AgentPaths } from './paths.js';

export interface NodeRuntimeOptions {
  dataDir: string;
  /** Pod subnet; default 10.88.0.0/16. */
  podCidr?: string;
  /** Bridge name; default peapod0. */
  bridge?: string;
  /** Service range pods may send to; default 10.96.0.0/12. */
  serviceCidr?: string;
  /** Cluster CIDR pods may send to (pods on other nodes); default none. */
  clusterCidr?: string;
  /** cgroup parent of the pods; default /peapod. */
  cgroupParent?: string;
}

export interface NodeRuntime {
  network: BridgeNetwork;
  runtime: OciRuntime;
  images: ImageStore;
}

export function createNodeRuntime(o: NodeRuntimeOptions): NodeRuntime {
  const paths = new AgentPaths(o.dataDir);
  const serviceCidr = o.serviceCidr ?? '10.96.0.0/12';
  const network = new BridgeNetwork({ dataDir: paths.cniDir, bridge: o.bridge, subnet: o.podCidr, serviceCidr, clusterCidr: o.clusterCidr });
  const runtime = new OciRuntime({ dataDir: paths.runtimeDir, network, cgroupParent: o.cgroupParent });
  // A registry running in a pod (by pod IP or ClusterIP) is on this node's own networks.
  const nodeRanges = [network.subnet, serviceCidr, ...(o.clusterCidr ? [o.clusterCidr] : [])];
  const images = new ImageStore({ dir: imageStoreDir(o.dataDir), registriesFile: registriesFile(o.dataDir), nodeRanges });
  return { network, runtime, images };
}
