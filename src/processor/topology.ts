import { isTopicName } from '../broker/rules.ts';
import type { Codec } from '../codec/codec.ts';
import type { Callback } from './callback.ts';
import { invalid } from './invalid.ts';

/** One input topic: its codec and its callback. */
export interface InputSpec {
  topic: string;
  codec: Codec<unknown>;
  callback: Callback<unknown, unknown, Record<string, unknown>, Record<string, unknown>>;
}

/** Another group's table this one reads: `lookup` (any key, through a view) or `join` (this key, co-partitioned). */
export interface TableRef {
  topic: string;
  codec: Codec<unknown>;
  mode: 'lookup' | 'join';
}

/**
 * What a processor is, declared before anything runs (Goka's group graph): its group, its inputs with codecs and
 * callbacks, its one group table (or none), the topics it may emit to and the other tables it may read. Made by
 * {@link defineGroup}; checked for what can be checked without a broker when built, and against the broker
 * (topics, partition counts) when a processor starts.
 *
 * Type parameters: `V` the table value, `O` output topic → value type, `L` readable table → value type.
 */
export interface Topology<V = unknown, O = Record<string, unknown>, L = Record<string, unknown>> {
  readonly group: string;
  readonly inputs: ReadonlyMap<string, InputSpec>;
  /** The group table's value codec; `undefined` for a stateless processor. */
  readonly table: Codec<V> | undefined;
  /** The group table's changelog topic: `<group>-table`. */
  readonly tableTopic: string;
  readonly outputs: ReadonlyMap<string, Codec<unknown>>;
  readonly tables: ReadonlyMap<string, TableRef>;
  /** Carries the type parameters only. */
  readonly types?: { value: V; outputs: O; tables: L };
}

/** Every topic a topology reads or writes — inputs, outputs, the tables it reads, its own table — with its values' codec. */
export function* topologyCodecs(topology: Topology<unknown, unknown, unknown>): Iterable<[string, Codec<unknown>]> {
  for (const [topic, spec] of topology.inputs) yield [topic, spec.codec];
  for (const entry of topology.outputs) yield entry;
  for (const [, ref] of topology.tables) yield [ref.topic, ref.codec];
  if (topology.table !== undefined) yield [topology.tableTopic, topology.table];
}

/** The changelog topic of a group's table (Goka's `GroupTable`): `<group>-table`. */
export function groupTable(group: string): string {
  return `${group}-table`;
}

/**
 * Declares a processor's topology, Goka style:
 *
 * ```ts
 * const balance = defineGroup('balance')
 *   .persist(balanceCodec)                       // the group table's values
 *   .output('flag_wallet', flagCodec)            // topics ctx.emit may write
 *   .lookup(groupTable('threshold'), limitCodec) // other tables ctx.lookup may read
 *   .input('deposit', depositCodec, (ctx, deposit) => ctx.set(add(ctx.get(), deposit)))
 *   .build();                                    // validated: HERALD_TOPOLOGY_INVALID listing every problem
 * ```
 *
 * Declare the table, outputs and tables before the inputs whose callbacks use them, so that `ctx` is typed with them.
 */
export function defineGroup(group: string): GroupBuilder<never, Record<never, never>, Record<never, never>> {
  return new GroupBuilder(group);
}

export class GroupBuilder<V, O, L> {
  readonly #group: string;
  readonly #inputs: InputSpec[] = [];
  readonly #outputs: [string, Codec<unknown>][] = [];
  readonly #tables: [string, TableRef][] = [];
  #table: Codec<unknown> | undefined;
  #persisted = false;

  constructor(group: string) {
    this.#group = group;
  }

  /** The group table: one value per key, of this codec, kept in `<group>-table` and a local store. */
  persist<T>(codec: Codec<T>): GroupBuilder<T, O, L> {
    if (this.#persisted) throw invalid(this.#group, ['persist() was called twice: a group has one table']);
    this.#persisted = true;
    this.#table = codec;
    return this as unknown as GroupBuilder<T, O, L>;
  }

  /** A topic `ctx.emit` may write, with the codec its values are encoded with. */
  output<K extends string, T>(topic: K, codec: Codec<T>): GroupBuilder<V, O & Record<K, T>, L> {
    this.#outputs.push([topic, codec as Codec<unknown>]);
    return this as unknown as GroupBuilder<V, O & Record<K, T>, L>;
  }

  /** Another table (`<group>-table`) `ctx.lookup` may read for any key, through a view of all its partitions. */
  lookup<K extends string, T>(table: K, codec: Codec<T>): GroupBuilder<V, O, L & Record<K, T>> {
    this.#tables.push([table, { topic: table, codec: codec as Codec<unknown>, mode: 'lookup' }]);
    return this as unknown as GroupBuilder<V, O, L & Record<K, T>>;
  }

  /**
   * Another table `ctx.join` reads for the record's own key. It must be co-partitioned with the inputs (same
   * partition count, same keys), which the processor checks at start.
   */
  join<K extends string, T>(table: K, codec: Codec<T>): GroupBuilder<V, O, L & Record<K, T>> {
    this.#tables.push([table, { topic: table, codec: codec as Codec<unknown>, mode: 'join' }]);
    return this as unknown as GroupBuilder<V, O, L & Record<K, T>>;
  }

  /** An input topic: records are decoded with `codec` and handed to `callback`, one at a time per partition. */
  input<T>(topic: string, codec: Codec<T>, callback: Callback<V, T, O, L>): this {
    this.#inputs.push({ topic, codec: codec as Codec<unknown>, callback: callback as unknown as InputSpec['callback'] });
    return this;
  }

  /** The topology, validated. Throws `HERALD_TOPOLOGY_INVALID` with every problem in `details`. */
  build(): Topology<V, O, L> {
    const group = this.#group;
    const tableTopic = groupTable(group);
    const problems: string[] = [];
    if (typeof group !== 'string' || group === '') problems.push('the group must be a non-empty string');
    if (this.#inputs.length === 0) problems.push('a processor needs at least one input');
    if (this.#persisted && !isCodec(this.#table)) problems.push('the group table has no codec');
    const inputs = new Map<string, InputSpec>();
    for (const spec of this.#inputs) {
      if (!isTopicName(spec.topic)) problems.push(`input topic ${String(spec.topic)} is not a topic name`);
      if (inputs.has(spec.topic)) problems.push(`input ${spec.topic} is declared twice`);
      if (!isCodec(spec.codec)) problems.push(`input ${spec.topic} has no codec`);
      if (typeof spec.callback !== 'function') problems.push(`input ${spec.topic} has no callback`);
      if (spec.topic === tableTopic) problems.push(`input ${spec.topic} is this group's own table`);
      inputs.set(spec.topic, spec);
    }
    const outputs = new Map<string, Codec<unknown>>();
    for (const [topic, codec] of this.#outputs) {
      if (!isTopicName(topic)) problems.push(`output topic ${String(topic)} is not a topic name`);
      if (outputs.has(topic)) problems.push(`output ${topic} is declared twice`);
      if (!isCodec(codec)) problems.push(`output ${topic} has no codec`);
      if (inputs.has(topic)) problems.push(`output ${topic} is also an input (a loop through the broker)`);
      if (topic === tableTopic) problems.push(`output ${topic} is this group's own table (use ctx.set)`);
      outputs.set(topic, codec);
    }
    const tables = new Map<string, TableRef>();
    for (const [name, ref] of this.#tables) {
      if (!isTopicName(name)) problems.push(`table ${String(name)} is not a topic name`);
      if (tables.has(name)) problems.push(`table ${name} is declared twice`);
      if (!isCodec(ref.codec)) problems.push(`table ${name} has no codec`);
      if (name === tableTopic) problems.push(`table ${name} is this group's own table (use ctx.get)`);
      if (inputs.has(name) || outputs.has(name)) problems.push(`table ${name} is also an input or an output`);
      tables.set(name, ref);
    }
    if (problems.length > 0) throw invalid(group, problems);
    return { group, inputs, table: this.#table as Codec<V> | undefined, tableTopic, outputs, tables };
  }
}

function isCodec(codec: unknown): codec is Codec<unknown> {
  const c = codec as Codec<unknown> | undefined;
  return typeof c?.encode === 'function' && typeof c.decode === 'function';
}

