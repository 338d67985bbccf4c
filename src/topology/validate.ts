import type { TopicSpec } from '../broker/port.ts';
import { checkTopicSpec, isTopicName } from '../broker/rules.ts';
import { HeraldError } from '../errors.ts';
import type { TopicDeclaration } from './declaration.ts';

const describe = (d: TopicDeclaration) => `${d.role} of ${d.owner}`;

/** A declaration that creates its topic, with the spec it creates it with. */
type Creator = { declaration: TopicDeclaration; spec: TopicSpec };

/** The spec a declaration creates its topic with, or undefined for a topic it only uses. */
export function specOf(declaration: TopicDeclaration): TopicSpec | undefined {
  return declaration.spec === undefined ? undefined : { ...declaration.spec, name: declaration.name };
}

/**
 * The declarations, each `like` whose model topic another declaration creates turned into a plain `spec` with the
 * model's partition count (through chains of `like`, too). The others keep their `like`: their count is on the
 * broker, for provisioning to read.
 */
export function resolveLike(declarations: readonly TopicDeclaration[]): TopicDeclaration[] {
  let out = [...declarations];
  for (let changed = true; changed; ) {
    changed = false;
    const counts = new Map<string, number>();
    for (const d of out) {
      const partitions = d.spec?.partitions;
      if (Number.isSafeInteger(partitions) && !counts.has(d.name)) counts.set(d.name, partitions as number);
    }
    out = out.map((d) => {
      const partitions = d.like === undefined || d.spec !== undefined ? undefined : counts.get(d.like.topic);
      if (partitions === undefined || d.like === undefined) return d;
      changed = true;
      return { name: d.name, role: d.role, owner: d.owner, spec: { ...d.like.settings, partitions } };
    });
  }
  return out;
}

/**
 * Every problem of a set of declarations, one line each, or none: a name no topic can have, a spec no broker
 * accepts, and a topic two parts would create differently (partitions, compaction, retention). Two parts may
 * declare one topic — one writes what the other reads — as long as those that create it agree. A topic created
 * `like` another whose count only the broker knows is checked for everything but its partition count.
 */
export function topologyProblems(declarations: readonly TopicDeclaration[]): string[] {
  const problems: string[] = [];
  const creators = new Map<string, Creator>();
  for (const declaration of resolveLike(declarations)) {
    if (!isTopicName(declaration.name)) {
      problems.push(`${JSON.stringify(declaration.name)} (${describe(declaration)}) is not a valid topic name`);
      continue;
    }
    const spec = specOf(declaration) ?? likeSpec(declaration);
    if (spec === undefined) continue;
    if (declaration.spec !== undefined && declaration.like !== undefined) {
      problems.push(`${declaration.name} (${describe(declaration)}) declares both a spec and a topic to be like`);
      continue;
    }
    if (declaration.like !== undefined && !isTopicName(declaration.like.topic)) {
      problems.push(
        `${declaration.name} (${describe(declaration)}) is partitioned like ${JSON.stringify(declaration.like.topic)}, ` +
          'which is not a valid topic name',
      );
      continue;
    }
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
    const difference = differs(earlier, { declaration, spec });
    if (difference !== undefined) {
      problems.push(
        `${declaration.name} is created as ${describe(earlier.declaration)} and as ${describe(declaration)} ` +
          `with different ${difference}`,
      );
    }
  }
  return problems;
}

/** A `like` declaration's spec for checking its settings: its partition count is not known yet (1 stands for it). */
function likeSpec(declaration: TopicDeclaration): TopicSpec | undefined {
  return declaration.like === undefined ? undefined : { ...declaration.like.settings, name: declaration.name, partitions: 1 };
}

/** The first setting two creators of one topic disagree on (partitions only when both counts are known). */
function differs(a: Creator, b: Creator): string | undefined {
  const likeA = a.declaration.like?.topic;
  const likeB = b.declaration.like?.topic;
  if (likeA !== undefined && likeB !== undefined) {
    if (likeA !== likeB) return `partitions (like ${likeA}, like ${likeB})`;
  } else if (likeA === undefined && likeB === undefined) {
    if (a.spec.partitions !== b.spec.partitions) return `partitions (${a.spec.partitions}, ${b.spec.partitions})`;
  }
  return differentSettings(a.spec, b.spec);
}

/** The first setting besides the partition count two specs of one topic disagree on. */
function differentSettings(a: TopicSpec, b: TopicSpec): string | undefined {
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
