/** What was done through the console, by whom and when: kept in memory (the newest {@link AUDIT_KEPT}) and logged. */
import type { Logger } from 'pino';

/** Entries the audit keeps. */
export const AUDIT_KEPT = 1_000;

export interface AuditEntry {
  at: string;
  /** The client's address (and, with a token, that it presented it). */
  who: string;
  action: string;
  target: string;
  outcome: string;
}

export class ConsoleAudit {
  readonly #entries: AuditEntry[] = [];
  readonly #logger: Logger | undefined;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  record(entry: Omit<AuditEntry, 'at'>): void {
    const full = { at: new Date().toISOString(), ...entry };
    this.#entries.push(full);
    if (this.#entries.length > AUDIT_KEPT) this.#entries.shift();
    this.#logger?.info({ audit: full }, `console: ${entry.action} ${entry.target}: ${entry.outcome}`);
  }

  /** Newest first. */
  entries(): AuditEntry[] {
    return [...this.#entries].reverse();
  }
}
