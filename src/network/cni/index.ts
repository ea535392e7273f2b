export { BridgeNetwork, type BridgeNetworkOptions, type PodPortMapping, type AttachResult } from './bridge-network.js';
export { installGuard, removeGuard, guardInstalled, guardTableName, guardRuleset, type GuardOptions } from './traffic-guard.js';
export { invokePlugin, CniError, type CniResult } from './plugin.js';
