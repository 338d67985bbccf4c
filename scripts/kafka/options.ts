import type { KafkaLayout } from './layout.ts';
import { kafkaLayout } from './layout.ts';

/** Options shared by every programmatic entry point; all optional. */
export interface KafkaOptions {
  /** Where jars, data, logs and pid files live; default `$HERALD_CACHE_DIR` or `~/.cache/herald`. */
  readonly cacheDir?: string;
  /**
   * How long brokers get to answer after launch; default `$HERALD_KAFKA_START_TIMEOUT_MS` or 90 s (the 3-node
   * cluster takes about 10 s on 2 idle cores).
   */
  readonly startTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL when stopping; default 20 s. */
  readonly stopTimeoutMs?: number;
  /** Receives progress lines; default: silent. */
  readonly log?: (line: string) => void;
}

export interface ResolvedOptions {
  readonly layout: KafkaLayout;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** Fills in defaults. */
export function resolveOptions(options: KafkaOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const fromEnv = Number(env.HERALD_KAFKA_START_TIMEOUT_MS);
  return {
    layout: kafkaLayout(options.cacheDir),
    startTimeoutMs: options.startTimeoutMs ?? (fromEnv > 0 ? fromEnv : 90_000),
    stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
    log: options.log ?? (() => {}),
  };
}
