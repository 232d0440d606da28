/**
 * The dispute domain: pure TypeScript, no IO. See libs/disputes/README.md for the tour.
 */
export * from './errors';
export * from './time';
export * from './money';
export * from './policy';
export * from './vocabulary';
export * from './order';
export * from './dispute.events';
export * from './dispute.evolve';
export * from './dispute.commands';
export { decide } from './dispute.decide';
export { requireMayOpenDispute } from './decide.opening';
export { requireTakesEvidenceFrom, takesEvidenceFrom } from './guards';
export * from './deadlines';
export * from './visibility';
export * from './personal-data';
export * from './upcasters';
export * from './view';
