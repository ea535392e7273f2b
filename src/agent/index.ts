export { Agent, type AgentOptions } from './agent.js';
export { createNodeRuntime, type NodeRuntime, type NodeRuntimeOptions } from './node-runtime.js';
export { AgentPaths } from './paths.js';
export { joinCluster, type JoinOptions, type NodeCredential } from './join.js';
