import type { TopicSpec } from '../broker/port.ts';
import { checkTopicSpec, isTopicName } from '../broker/rules.ts';
import { HeraldError } from '../errors.ts';
import type { TopicDeclaration } from './declaration.ts';

const describe = (d: TopicDeclaration) => `${d.role} of ${d.owner}`;

/** The spec a declaration creates its topic with, or undefined for a topic it only uses. */
export function specOf(declaration: TopicDeclaration): TopicSpec | undefined {
  return declaration.spec === undefined ? undefined : { ...declaration.spec, name: declaration.name };
}

/**
 * Every problem of a set of declarations, one line each, or none: a name no topic can have, a spec no broker
 * accepts, and a topic two parts would create differently (partitions, compaction, retention). Two parts may
 * declare one topic — one writes what the other reads — as long as those that create it agree.
 */
export function topologyProblems(declarations: readonly TopicDeclaration[]): string[] {
  const problems: string[] = [];
  const creators = new Map<string, { declaration: TopicDeclaration; spec: TopicSpec }>();
  for (const declaration of declarations) {
    if (!isTopicName(declaration.name)) {
      problems.push(`${JSON.stringify(declaration.name)} (${describe(declaration)}) is not a valid topic name`);
      continue;
    }
    const spec = specOf(declaration);
    if (spec === undefined) continue;
    try {
      checkTopicSpec(spec);
    } catch (err) {
      problems.push(`${declaration.name} (${describe(declaration)}): ${(err as Error).message}`);
      continue;
    }
    const earlier = creators.get(declaration.name);
    if (earlier === undefined) {
      creators.set(declaration.name, { declaration, spec });
      continue;
    }
    const difference = differs(earlier.spec, spec);
    if (difference !== undefined) {
      problems.push(
        `${declaration.name} is created as ${describe(earlier.declaration)} and as ${describe(declaration)} ` +
          `with different ${difference}`,
      );
    }
  }
  return problems;
}

/** The first setting two specs of one topic disagree on. */
function differs(a: TopicSpec, b: TopicSpec): string | undefined {
  if (a.partitions !== b.partitions) return `partitions (${a.partitions}, ${b.partitions})`;
  if ((a.compacted ?? false) !== (b.compacted ?? false)) return 'compaction';
  if (a.retentionMs !== b.retentionMs) return 'retentionMs';
  if (a.retentionBytes !== b.retentionBytes) return 'retentionBytes';
  if (a.replicationFactor !== b.replicationFactor) return 'replicationFactor';
  if (JSON.stringify(a.configs ?? {}) !== JSON.stringify(b.configs ?? {})) return 'configs';
  return undefined;
}

/** @throws HeraldError `HERALD_CONFIG_INVALID` listing every problem (`details`) of the declarations. */
export function checkTopology(declarations: readonly TopicDeclaration[]): void {
  const problems = topologyProblems(declarations);
  if (problems.length > 0) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `invalid topology:\n${problems.join('\n')}`, { details: problems });
  }
}
