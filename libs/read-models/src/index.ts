export * from './schema';
export { readDbFor } from './database';
export type {
  ReadDb,
  ReadTx,
  ReadExecutor,
  ReadModelSchema,
  ReadDbQueryResult,
  ReadDbQueryResultHKT,
} from './database';
export { migrateReadModels, defaultMigrationsFolder, MIGRATIONS_TABLE } from './migrate';
export type { MigrateReadModelsOptions } from './migrate';
export { ProjectionRegistry } from './projection';
export type { AnyProjection, ExternalProjection, Projection } from './projection';
export {
  ProjectionRunner,
  ProjectionBusyError,
  ProjectionFailedError,
  RebuildRunningError,
  rebuildModeOf,
} from './runner';
export type {
  ProjectionRunnerOptions,
  ProjectionState,
  ProjectionStatus,
  ProjectionError,
  RetryPolicy,
  RunnerLogger,
  RebuildMode,
  RebuildOptions,
  RebuildProgress,
  RebuildResult,
} from './runner';
export { CheckpointMovedError } from './checkpoints';
export { checkpointsBeyondLog, readProjectionLag } from './lag';
export { PROJECTION_MONITOR_DEFAULTS, ProjectionMonitor } from './monitor';
export type { ProjectionHealth, ProjectionMonitorOptions, ProjectionProblem } from './monitor';
export type { ProjectionLag } from './lag';
export {
  CheckpointsBeyondLogError,
  projectionMonitorOptionsFrom,
  ReadModelsModule,
  READ_DB,
} from './read-models.module';
export type { ReadModelsModuleOptions, ReadModelsModuleAsyncOptions } from './read-models.module';
export { runProjectionsCli } from './cli/projections';
export type { ProjectionsCliContext } from './cli/projections';
export * from './projections';
export {
  SqlPersonKeys,
  developmentPersonalDataKey,
  PERSON_KEYS_CHANNEL,
  sqlPersonKeysFrom,
  personalDataFrom,
} from './person-keys';
export type { SqlPersonKeysOptions } from './person-keys';
export { refoldStreams } from './refold';
export { insertRows } from './insert-rows';
export type { InsertRows } from './insert-rows';
