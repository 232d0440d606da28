/**
 * What the read side (libs/read-models and the views it serves) may use of the dispute domain:
 * the one view fold, the visibility rules, the vocabulary and the policy. Never the decider nor
 * its state: a projection that folded them would be a second way of building a view.
 */
export {
  evolveView,
  initialView,
  replayView,
  nextActionInView,
  nextActionsInView,
  forViewer,
  VIEW_VERSION,
} from './domain/view';
export type {
  DisputeView,
  EvidenceView,
  MessageView,
  EvidenceRequestView,
  DecisionView,
  AppealView,
  ReturnView,
  ReplacementView,
  OutcomeView,
  NextActionView,
  ViewerDispute,
} from './domain/view';
export {
  type Audience,
  AUDIENCE_OF_ROLE,
  visibleEventFor,
  visibleEventsFor,
} from './domain/visibility';
export { ERASED, MEDIATOR_ONLY_EVENT_TYPES } from './domain/personal-data';
export { pendingDeadlinesOf, type PendingDeadline } from './domain/deadlines';
export { DEFAULT_POLICY, type DisputePolicy } from './domain/policy';
export { formatMoney, type Money } from './domain/money';
export { fromEpochMs, type Instant } from './domain/time';
export {
  DISPUTE_EVENT_TYPES,
  type DisputeEvent,
  type DisputeEventType,
  type Proposal,
  type Resolution,
} from './domain/dispute.events';
export type { OrderPlaced } from './domain/order';
// Stored copies of dispute events (the timeline's rows) are read in the shape the fold expects.
export { DISPUTE_EVENT_SCHEMAS } from './domain/upcasters';
export * from './domain/vocabulary';
