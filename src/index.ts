/** clawback's library entry: the price catalog and cost engine, the wire helpers, the emulator, and the SDK wrapper. */
export * from './pricing/money.js';
export * from './pricing/catalog.js';
export * from './pricing/cost.js';
export * from './wire/estimate.js';
export type * from './pricing/usage.js';
export type * from './pricing/catalog-schema.js';
export { startEmulator, type EmulatorOptions, type RunningEmulator } from './emulator/server.js';
export { ManualClock, systemClock, type Clock } from './emulator/clock.js';
export { commitCache, planCache, PromptCacheStore, type CachePlan, type CacheUsage } from './emulator/prompt-cache.js';
export { withClawback, createClawbackClient, type ClawbackClient, type ClawbackHandle, type ClawbackOptions } from './sdk/index.js';
