/** Moved to src/metering/trace.ts (shared with the SDK wrapper); re-exported so gateway imports keep working. */
export { buildRecord, newTrace, price, type MeterInput, type Trace } from '../metering/trace.js';
