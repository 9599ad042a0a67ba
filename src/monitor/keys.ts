/**
 * Virtual keys: gateway keys issued per team or app. The gateway holds the real ANTHROPIC_API_KEY; clients send a
 * virtual key (x-api-key or Authorization: Bearer) and are attributed, tagged and budgeted by it. A key is shown
 * once, when it is created; only HMAC-SHA256(secret, key) is stored, so the database cannot give keys back.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pico } from '../pricing/money.js';
import type { Period } from './periods.js';
import type Database from 'better-sqlite3';
import { keySecret, type StateDb } from './state-db.js';

export const KEY_PREFIX = 'sk-clawback-';

export interface VirtualKey {
  /** HMAC of the key: its id in the store and the `keyHash` of every request made with it. */
  readonly hash: string;
  readonly name: string;
  readonly last4: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly budget: { readonly limitPico: Pico; readonly period: Period } | null;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

interface Row {
  hash: string;
  name: string;
  last4: string;
  tags: string;
  budget_pico: string | null;
  budget_period: string | null;
  created_at: number;
  revoked_at: number | null;
}

function fromRow(r: Row): VirtualKey {
  return {
    hash: r.hash,
    name: r.name,
    last4: r.last4,
    tags: JSON.parse(r.tags) as Record<string, string>,
    budget: r.budget_pico !== null && r.budget_period !== null ? { limitPico: BigInt(r.budget_pico), period: r.budget_period as Period } : null,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface CreateKeyOptions {
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly budget?: { readonly limitPico: Pico; readonly period: Period } | null;
}

export class KeyStore {
  private readonly secret: string;
  // Prepared once: preparing a statement per call cost ~100 us on every proxied request (authenticate runs hasActive).
  private readonly q: {
    byHash: Database.Statement<[string]>;
    byName: Database.Statement<[string]>;
    active: Database.Statement<[]>;
  };

  constructor(private readonly db: StateDb, env: NodeJS.ProcessEnv = process.env) {
    this.secret = keySecret(db, env);
    this.q = {
      byHash: db.prepare('SELECT * FROM monitor_keys WHERE hash = ?'),
      byName: db.prepare('SELECT * FROM monitor_keys WHERE name = ?'),
      active: db.prepare('SELECT 1 FROM monitor_keys WHERE revoked_at IS NULL LIMIT 1'),
    };
  }

  hashOf(key: string): string {
    return createHmac('sha256', this.secret).update(key).digest('hex');
  }

  /** Issues a key; returns the key itself (shown once) and its stored record. */
  create({ name, tags = {}, budget = null }: CreateKeyOptions): { key: string; record: VirtualKey } {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new KeyError(`key name "${name}" must be 1-64 letters, digits, ".", "_" or "-"`);
    if (this.byName(name)) throw new KeyError(`a key named "${name}" already exists (names stay taken after revoke, so past spend stays attributed; pick another)`);
    const bytes = randomBytes(32);
    let body = '';
    for (const b of bytes) body += B62[b % 62];
    const key = KEY_PREFIX + body;
    const hash = this.hashOf(key);
    this.db
      .prepare('INSERT INTO monitor_keys (hash, name, last4, tags, budget_pico, budget_period, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(hash, name, key.slice(-4), JSON.stringify(tags), budget ? budget.limitPico.toString() : null, budget ? budget.period : null, Date.now());
    this.activeCache = null;
    return { key, record: this.byHash(hash)! };
  }

  /** The active key a client presented, or null (unknown or revoked). Compares hashes in constant time. */
  verify(key: string): VirtualKey | null {
    if (!key.startsWith(KEY_PREFIX)) return null;
    const hash = this.hashOf(key);
    const rec = this.byHash(hash);
    if (!rec || rec.revokedAt !== null) return null;
    return timingSafeEqual(Buffer.from(rec.hash, 'hex'), Buffer.from(hash, 'hex')) ? rec : null;
  }

  byHash(hash: string): VirtualKey | null {
    const r = this.q.byHash.get(hash) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  byName(name: string): VirtualKey | null {
    const r = this.q.byName.get(name) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  list(includeRevoked = true): VirtualKey[] {
    const rows = this.db.prepare('SELECT * FROM monitor_keys ORDER BY created_at, name').all() as Row[];
    return rows.map(fromRow).filter((k) => includeRevoked || k.revokedAt === null);
  }

  private activeCache: { value: boolean; at: number } | null = null;

  /**
   * Whether any key is active. Asked on every proxied request, so the answer is kept for a second: strangers stay
   * refused a moment after the last key is revoked, and a key created by `clawback keys create` in another process
   * is required within a second (at once when created through this process, which drops the cached answer).
   * Revocation of a key itself is immediate: verify checks every key. Asking SQLite on every request of an open
   * gateway cost more than the rest of the monitor's authentication.
   */
  hasActive(now = Date.now()): boolean {
    const c = this.activeCache;
    if (c && now - c.at < 1000 && now >= c.at) return c.value;
    const value = this.q.active.get() !== undefined;
    this.activeCache = { value, at: now };
    return value;
  }

  /** Revokes by name; the name stays taken so past spend remains attributed. Returns false if already revoked. */
  revoke(name: string): boolean {
    const k = this.byName(name);
    if (!k) throw new KeyError(`no key named "${name}" (see clawback keys ls)`);
    if (k.revokedAt !== null) return false;
    this.db.prepare('UPDATE monitor_keys SET revoked_at = ? WHERE hash = ?').run(Date.now(), k.hash);
    this.activeCache = null;
    return true;
  }
}
