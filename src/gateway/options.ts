/**
 * The gateway's settings: `startGateway` options, and the config file's "gateway" section (validated here, once).
 * Precedence: explicit options (CLI flags) > config file > environment > defaults.
 */
import { z } from 'zod';
import type { ConfigDocument } from '../config.js';
import { ConfigError } from '../config.js';

export const RetrySchema = z.object({
  /** Upstream attempts beyond the first, on 429, 529, other 5xx and connection errors. */
  maxRetries: z.number().int().min(0).max(10).default(2),
  /** No retry is started once this much time has passed since the first attempt, or would pass while waiting. */
  maxTotalMs: z.number().int().min(0).default(30_000),
  /** First backoff; doubles each attempt, with full jitter; capped by capMs. */
  baseMs: z.number().int().min(0).default(500),
  capMs: z.number().int().min(0).default(8_000),
}).strict();

export const GatewaySectionSchema = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  upstream: z.url().optional(),
  db: z.string().min(1).optional(),
  /** Delete usage records older than this many days (0 keeps everything). */
  retentionDays: z.number().min(0).default(0),
  /** Longest time a record waits in memory before the store writes it. */
  flushMs: z.number().int().min(0).max(60_000).default(200),
  /** Keep the prompt text (system + messages) of each request in the store. Off by default. */
  storePrompts: z.boolean().default(false),
  /** Client keys the gateway accepts when it holds the upstream key itself (ANTHROPIC_API_KEY). */
  clientKeys: z.array(z.string().min(1)).optional(),
  /** Salt for API-key hashes; by default one is created per store and kept in it. */
  keySalt: z.string().min(8).optional(),
  retry: RetrySchema.default(RetrySchema.parse({})),
  /** Time to wait for the upstream's response headers (a non-streamed answer can take minutes). */
  headersTimeoutMs: z.number().int().min(1).default(600_000),
  /** Longest silence between two chunks of an upstream body. */
  bodyTimeoutMs: z.number().int().min(1).default(300_000),
  /** Largest request body accepted for messages and count_tokens (the API's own limit is 32 MB). */
  maxBodyBytes: z.number().int().min(1).default(32 * 1024 * 1024),
  /**
   * Record prompt-prefix fingerprints (hash and estimated tokens at every block boundary). They are the dearest part
   * of metering (hashing new prompt text; a beginning repeated from a recent request is compared, not hashed); switch
   * off to trade cache forensics for throughput.
   */
  fingerprints: z.boolean().default(true),
  /** Compute prompt-prefix fingerprints of bodies over a megabyte on a worker thread (when running compiled). */
  fingerprintThread: z.boolean().default(true),
  /** Keep-alive connections to the upstream. */
  connections: z.number().int().min(1).default(256),
}).strict();

export type GatewaySection = z.infer<typeof GatewaySectionSchema>;
export type RetryPolicy = z.infer<typeof RetrySchema>;

export function gatewaySection(config: ConfigDocument | undefined): GatewaySection {
  const r = GatewaySectionSchema.safeParse(config?.['gateway'] ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(`config "gateway.${issue.path.join('.')}": ${issue.message}`);
  }
  return r.data;
}

export const DEFAULT_UPSTREAM = 'https://api.anthropic.com';
export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DB = './clawback.db';
