import { HeraldError } from '../errors.ts';
import type { ProcessorRegistry, ProcessorStatus, ViewStatus } from '../processor/registry.ts';

/** What `GET /admin/processors` and `herald processors list` show: this process's processors and views. */
export interface ProcessorsOverview {
  /** By group. */
  processors: ProcessorStatus[];
  /** By table. */
  views: ViewStatus[];
}

/**
 * The status of every processor and view registered in `registry`, sorted. Processors live in the process that
 * runs them, so without a registry (an admin API over a bare broker, e.g. the CLI's `--broker`) there is nothing
 * to ask: `HERALD_NOT_FOUND`.
 */
export function processorsOverview(registry: ProcessorRegistry | undefined): ProcessorsOverview {
  if (registry === undefined) {
    throw new HeraldError(
      'HERALD_NOT_FOUND',
      'processors are known only to the Herald process that runs them: ask its server, not the broker',
    );
  }
  return {
    processors: registry
      .processors()
      .map((p) => p.status())
      .sort((a, b) => a.group.localeCompare(b.group)),
    views: registry
      .views()
      .map((v) => v.status())
      .sort((a, b) => a.table.localeCompare(b.table)),
  };
}
