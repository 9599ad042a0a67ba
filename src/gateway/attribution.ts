/** Moved to src/metering/attribution.ts (shared with the SDK wrapper); re-exported so gateway imports keep working. */
export {
  attribute, clientKey, hashKey, keyHasher, last4, parseDuration, parseTags, readClawbackHeaders, userIdOf,
  type ClawbackHeaders, type HeaderBag,
} from '../metering/attribution.js';
