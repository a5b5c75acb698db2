export { type RoutingAnnouncementOptions, withRoutingAnnouncements } from './announcing-orchestrator.js';
export { capabilityConstraint, type ProviderCapabilitiesEntry } from './capability-constraints.js';
export {
  type CohortAmountRange,
  type CohortMatch,
  cohortMatches,
  type CohortRoute,
  type CohortRule,
  cohortRulesSchema,
  type CohortSubject,
  findCohortRule,
} from './cohort-rules.js';
export {
  type ControlPlaneBroadcast,
  type ControlPlaneListener,
  encodeRoutingChange,
  InMemoryControlPlaneBroadcast,
  parseRoutingChange,
  type RoutingChangeMessage,
} from './control-plane-broadcast.js';
export { createKillSwitch, type KillSwitch, type KillSwitchChangeInput, type KillSwitchChangeResult, type KillSwitchOptions } from './kill-switch.js';
export {
  type CircuitAdmission,
  type CircuitBreakerSettings,
  circuitBreakerSettingsSchema,
  type CircuitStateName,
  defaultCircuitBreakerSettings,
  ProviderCircuitBreakers,
} from './provider-circuit-breakers.js';
export {
  bucketOfHash,
  createRolloutHasher,
  isBucketInRollout,
  rolloutBucket,
  rolloutBucketCount,
  rolloutHash,
  rolloutHashSeed,
  rolloutKey,
  rolloutThreshold,
  type RolloutHasher,
} from './rollout-bucket.js';
export {
  createRolloutGuardrail,
  type GuardrailArm,
  type GuardrailDecision,
  type GuardrailMetricResult,
  type GuardrailVerdict,
  guardrailVerdictCollection,
  type RolloutGuardrail,
  type RolloutGuardrailOptions,
} from './rollout-guardrail.js';
export {
  type ArmCounts,
  type ComparisonDifference,
  type ComparisonReport,
  type ComparisonRow,
  type RoutingOutcomeKind,
  RouterStatistics,
  type RouterStatisticsOptions,
  type StatisticsLabels,
  type StatisticsOutcome,
  type StatisticsQuery,
  type StatisticsRow,
} from './router-statistics.js';
export { decisionOfAssignment, parseRoutingAssignment, type RoutingAssignment, routingAssignmentCollection, routingAssignmentPut } from './routing-assignments.js';
export {
  type KillSwitchChange,
  parseRoutingControlRecord,
  routingControlCollection,
  routingControlHistoryLength,
  type RoutingControlState,
  serializeRoutingControlState,
  type VersionedRoutingControlState,
} from './routing-control-state.js';
export { RolloutPercentError, RoutingControlConflictError, RoutingRecordInvalidError, RoutingRequestError, SplitCartError } from './routing-errors.js';
export { createRoutingNode, type RoutingChangeListener, type RoutingNode, type RoutingNodeOptions, type RoutingSnapshot, type RoutingView } from './routing-node.js';
export type { CustomerAttributes, RoutingDecision, RoutingReasonKind, RoutingRequest, TokenLocation, TokenLocator } from './routing-types.js';
export { createTransactionSplitExecutor, type LegPaymentMethod, storedCardLegPaymentMethods, type TransactionSplitExecutorOptions } from './split-cart-executor.js';
export {
  executeSplitPayment,
  planSplitCart,
  type SplitCartLine,
  type SplitCartPlan,
  type SplitCartPlanInput,
  type SplitLegOperation,
  type SplitLegOperationResult,
  type SplitLegOperationStatus,
  type SplitLegOutcome,
  type SplitPaymentExecutor,
  type SplitPaymentLeg,
  type SplitPaymentOptions,
  type SplitPaymentRecord,
  type SplitPaymentResult,
  type SplitPaymentStep,
  splitPaymentCollection,
} from './split-cart.js';
export {
  chiSquareOneDegreeSurvival,
  complementaryErrorFunction,
  differenceInterval,
  type IntervalEstimate,
  inverseStandardNormalCumulative,
  type MixtureSequentialTestResult,
  mixtureSequentialProbabilityRatio,
  normalCriticalValue,
  type ProportionSample,
  sampleRatioMismatch,
  type SampleRatioMismatchResult,
  standardNormalCumulative,
  wilsonInterval,
} from './statistics-math.js';
export {
  createTrafficRouter,
  type PinAssignmentInput,
  type RoutingOutcomeInput,
  type TrafficRouter,
  type TrafficRouterOptions,
} from './traffic-router.js';
