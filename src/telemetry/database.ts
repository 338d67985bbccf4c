import { SpanKind } from '@opentelemetry/api';
import { overriding } from '../kit/overriding.ts';
import { withSpan } from './with-span.ts';

/** Methods of `T` that return promises: the calls that reach a database. */
type AsyncMethods<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T] &
  string;

/**
 * `target` with each of `operations` run in a CLIENT span (`<operation> <namespace>`, OpenTelemetry database
 * conventions: `db.system.name` such as `sqlite`, `postgresql` or `opensearch`, `db.operation.name`,
 * `db.namespace`), child of whatever span is active — the request that asked. Other members are the target's own.
 * With no SDK registered each call costs a property lookup.
 */
export function withDatabaseSpans<T extends object>(
  target: T,
  system: string,
  namespace: string,
  operations: readonly AsyncMethods<T>[],
): T {
  const traced = new Map<PropertyKey, unknown>();
  for (const operation of operations) {
    const method = target[operation] as (...args: unknown[]) => Promise<unknown>;
    const attributes = { 'db.system.name': system, 'db.operation.name': operation, 'db.namespace': namespace };
    traced.set(operation, (...args: unknown[]) =>
      withSpan(`${operation} ${namespace}`, attributes, () => method.apply(target, args), { kind: SpanKind.CLIENT }),
    );
  }
  return overriding(target, traced);
}
