/**
 * @module @llm-fleet/types: the one source of truth for what crosses the wire between agent and
 * coordinator. Each schema and its inferred type share one name.
 */
export { AgentMetrics, RuntimeStatus } from './agent-metrics.js'
export { AgentId, AgentRegistration, CpuInfo, Labels, RegistrationAccepted } from './agent-registration.js'
export { FleetNode, FleetNodeList, NODE_STATES, NodeState, PublicRegistration } from './fleet-node.js'
export { formatPath, formatZodError, formatZodIssues } from './format-zod-error.js'
export { GpuDevice, GpuDeviceList, GpuLiveValues, GpuLiveValuesList } from './gpu-device.js'
export { toJsonSchemas, WIRE_SCHEMAS, type WireSchemaName } from './json-schemas.js'
export * from './limits.js'
export { type ListenProblem, type ListenSettingNames, listenProblem } from './listen-problem.js'
export {
  LoadedModel,
  LoadedModelList,
  ModelDetail,
  ModelDetailList,
  ModelFacts,
} from './model-details.js'
export { BearerToken, Count, ModelList, ModelName, NonNegative, Percent } from './primitives.js'
export {
  describeHttpUrlProblem,
  RUNTIME_KINDS,
  RuntimeEndpoint,
  RuntimeKind,
  UpstreamUrl,
} from './runtime-endpoint.js'
export { readSettingValue, type SettingValue } from './setting-value.js'
