// The read DB's Drizzle schema: drizzle.config.ts points drizzle-kit here, and `ReadDb` is typed by it.
// A projection adds its tables in a file of this folder and exports them from this index.
export * from './checkpoints';
export * from './deadlines';
export * from './dispute-views';
export * from './test-clocks';
export * from './person-keys';
export * from './audit';
