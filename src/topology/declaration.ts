import type { TopicSpec } from '../broker/port.ts';

/**
 * What a topic is to the part that declares it. `input`: it consumes it; `output`: it produces to it;
 * `dead-letter`: failed records go there; `internal`: bookkeeping of its own (dedupe ids). A later state layer adds
 * `table` and `changelog` to the same list.
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
  /** How to create the topic if it is missing; absent: used, not created, by this part. */
  spec?: Omit<TopicSpec, 'name'>;
}

/** A topic `owner` creates when missing, as `spec` says. */
export function creates(owner: string, role: TopicRole, spec: TopicSpec): TopicDeclaration {
  const { name, ...rest } = spec;
  return { name, role, owner, spec: rest };
}

/** A topic `owner` uses without creating it. */
export function uses(owner: string, role: TopicRole, name: string): TopicDeclaration {
  return { name, role, owner };
}

/** Anything that states its topics (a router; a later processor): what boot collects before starting anything. */
export interface DeclaresTopics {
  topology(): TopicDeclaration[];
}
