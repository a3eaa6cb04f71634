// The store: the database of the gateway (src/store/README.md). Everything outside src/store/
// imports it from here.
export * from './connection';
export { dialectOf, dialectOfUrl, sqliteInsertPlan, type SqliteInsertPlan, type Dialect, type Runner, type ClaimRule, type TextMatch, type PercentileQuery, type Percentiles } from './dialect';
export { JOURNAL_ENTITY, type JournalEntry } from './schema';
export { diskStates, diskWarnings, storeBytes, watchedFolders, type DiskState, type DiskThresholds } from './disk';
export { Batcher } from './batcher';
