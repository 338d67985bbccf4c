import type { TopicSpec } from '../broker/port.ts';

/**
 * What a topic is to the part that declares it. `input`: it consumes it; `output`: it produces to it;
 * `dead-letter`: failed records go there; `internal`: bookkeeping of its own (dedupe ids); `changelog`: a
 * processor's own group table (`<group>-table`); `table`: another group's table it reads.
 */
export type TopicRole = 'input' | 'output' | 'dead-letter' | 'internal' | 'table' | 'changelog';

/**
 * One topic a part of the system (a service, a router's group, a middleware) reads or writes, stated before
 * anything runs. With `spec` the part creates it (when missing) exactly so; without, it uses a topic another part
 * creates, or one that exists already.
 */
export interface TopicDeclaration {
  name: string;
  role: TopicRole;
  /** Who declares it, for messages: `notify`, `router delivery, group delivery.send.d1`. */
  owner: string;
  /** How to create the topic if it is missing; absent (and no `like`): used, not created, by this part. */
  spec?: Omit<TopicSpec, 'name'>;
  /**
   * Created, when missing, with the partition count of another topic and these settings — a processor's changelog
   * is partitioned like its inputs. The count is resolved by provisioning: from the declaration that creates that
   * topic, else from the broker. Never together with `spec`.
   */
  like?: { topic: string; settings: Omit<TopicSpec, 'name' | 'partitions'> };
}

/** A topic `owner` creates when missing, as `spec` says. */
export function creates(owner: string, role: TopicRole, spec: TopicSpec): TopicDeclaration {
  const { name, ...rest } = spec;
  return { name, role, owner, spec: rest };
}

/** A topic `owner` creates when missing, with as many partitions as `like` (see {@link TopicDeclaration.like}). */
export function createsLike(
  owner: string,
  role: TopicRole,
  like: string,
  spec: Omit<TopicSpec, 'partitions'>,
): TopicDeclaration {
  const { name, ...settings } = spec;
  return { name, role, owner, like: { topic: like, settings } };
}

/** A topic `owner` uses without creating it. */
export function uses(owner: string, role: TopicRole, name: string): TopicDeclaration {
  return { name, role, owner };
}

/** Anything that states its topics (a router, a processor): what boot collects before starting anything. */
export interface DeclaresTopics {
  topology(): TopicDeclaration[];
}
