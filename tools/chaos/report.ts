/** What each probe of the robustness suite found, and the one-screen report of them all. */

/** One probe's outcome: what it tried, what it saw, and what went wrong (empty when nothing did). */
export interface ProbeResult {
  name: string;
  /** `skipped: <reason>` when the probe could not run here (e.g. not root for the full disk). */
  skipped?: string;
  /** Figures worth reporting, e.g. `{ requests: 812, kills: 5, lost: 0 }`. */
  figures: Record<string, number>;
  /** Each defect seen, one line each. */
  problems: string[];
  ms: number;
}

/** Runs a probe, timing it and turning a throw into a problem. */
export async function probe(
  name: string,
  run: (result: ProbeResult) => Promise<void>,
): Promise<ProbeResult> {
  const result: ProbeResult = { name, figures: {}, problems: [], ms: 0 };
  const started = Date.now();
  try {
    await run(result);
  } catch (err) {
    result.problems.push(`the probe failed: ${(err as Error).stack ?? String(err)}`);
  }
  result.ms = Date.now() - started;
  return result;
}

/** The report: one line per probe (ok / PROBLEMS / skipped, its figures, its time), then every problem. */
export function formatReport(results: ProbeResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const state = r.skipped !== undefined ? 'skipped' : r.problems.length === 0 ? 'ok' : 'PROBLEMS';
    const figures = Object.entries(r.figures)
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', ');
    const extra = r.skipped !== undefined ? ` (${r.skipped})` : '';
    lines.push(`${state.padEnd(8)} ${r.name.padEnd(14)} ${figures}${extra} — ${(r.ms / 1000).toFixed(1)} s`);
  }
  for (const r of results) for (const p of r.problems.slice(0, 20)) lines.push(`  ${r.name}: ${p}`);
  return lines.join('\n');
}
