/** Arguments of `npm run chaos`. */

export const PROBES = ['bodies', 'kills', 'shutdown', 'disk', 'secrets'] as const;
export type ProbeName = (typeof PROBES)[number];

export interface ChaosOptions {
  /** Which probes run, in this order. */
  probes: ProbeName[];
  /** SIGKILLs during the acknowledged-load probe. */
  kills: number;
  /** Milliseconds between kills (a random point in the second half of each interval). */
  killEveryMs: number;
  /** Where the data directories go (a fresh one under it per run). */
  workDir: string | undefined;
  /** Print the results as one JSON line after the report. */
  json: boolean;
}

export const USAGE = `usage: npm run chaos -- [--probes ${PROBES.join(',')}] [--kills N] [--kill-every 3s] [--work-dir DIR] [--json]
  bodies    malformed, huge, deep and mistyped requests on every route of /openapi.json: no 5xx, coded errors
  kills     SIGKILL under acknowledged produce load, restarted each time: 0 acknowledged records lost, per-key order
  shutdown  SIGTERM with a client trickling its body and an idle keep-alive connection: a clean exit 0
  disk      (root) a full disk on a small tmpfs: start refused in one line with no stale lock; writes refused while
            full and /readyz not ready; all acknowledged records there once space is back
  secrets   secrets planted in config: never in logs, HTTP answers or configuration errors`;

function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (match === null) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
}

/** @throws Error with a one-line reason on a bad argument. */
export function parseChaosArgs(args: string[]): ChaosOptions {
  const options: ChaosOptions = { probes: [...PROBES], kills: 5, killEveryMs: 3_000, workDir: undefined, json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--probes': {
        const names = value().split(',');
        for (const name of names) if (!(PROBES as readonly string[]).includes(name)) throw new Error(`no probe ${name}`);
        options.probes = names as ProbeName[];
        break;
      }
      case '--kills': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new Error('--kills must be a positive integer');
        options.kills = n;
        break;
      }
      case '--kill-every':
        options.killEveryMs = duration(value());
        break;
      case '--work-dir':
        options.workDir = value();
        break;
      case '--json':
        options.json = true;
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return options;
}
