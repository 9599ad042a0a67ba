/** Moved to src/metering/taps.ts (shared with the SDK wrapper); re-exported so gateway imports keep working. */
export { CopyTap, LineTap, SseTap, decodingTap, type BodyTap } from '../metering/taps.js';
