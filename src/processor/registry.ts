import type { Codec } from '../codec/codec.ts';
import type { RestoreState } from './restore.ts';

/** What the admin API shows of one processor. */
export interface ProcessorStatus {
  group: string;
  guarantee: 'exactly-once' | 'at-least-once';
  state: 'new' | 'starting' | 'running' | 'stopped';
  /** Owned partitions with their table size, input lag (measured every few seconds) and restore state. */
  partitions: { partition: number; tableKeys: number; lag: number | undefined; restore: RestoreState | undefined }[];
  /** Partitions kept warm without being owned (hot standby). */
  standby: number[];
}

/** What the admin API shows of one view. */
export interface ViewStatus {
  table: string;
  caughtUp: boolean;
  lag: number;
  partitions: { partition: number; position: number; end: number }[];
}

/** Something that reports its status (a processor or a view). */
export interface StatusSource<S> {
  status(): S;
  /** The topics it reads or writes with the codec of their values (for tools that show records). */
  codecs?(): Iterable<[topic: string, codec: Codec<unknown>]>;
}

/**
 * The processors and views of one Herald process, read by the admin core (`GET /admin/processors`, `herald
 * processors list`). Made by whoever boots the process and handed to services in their `ServiceContext` (no global:
 * tests and several apps in one process stay apart).
 */
export class ProcessorRegistry {
  readonly #processors = new Set<StatusSource<ProcessorStatus>>();
  readonly #views = new Set<StatusSource<ViewStatus>>();
  readonly #declared = new Map<string, Codec<unknown>>();

  /** Adds a processor; returns its removal. */
  addProcessor(source: StatusSource<ProcessorStatus>): () => void {
    this.#processors.add(source);
    return () => this.#processors.delete(source);
  }

  addView(source: StatusSource<ViewStatus>): () => void {
    this.#views.add(source);
    return () => this.#views.delete(source);
  }

  /** Every processor registered now. */
  processors(): StatusSource<ProcessorStatus>[] {
    return [...this.#processors];
  }

  /** Declares the codec of a topic's values that no processor or view here reads (an emitter's stream). */
  declareCodec(topic: string, codec: Codec<unknown>): void {
    this.#declared.set(topic, codec);
  }

  /** The codec of a topic's values as declared here or by a registered processor or view; `undefined` if unknown. */
  codecOf(topic: string): Codec<unknown> | undefined {
    const declared = this.#declared.get(topic);
    if (declared !== undefined) return declared;
    for (const source of [...this.#processors, ...this.#views]) {
      for (const [name, codec] of source.codecs?.() ?? []) if (name === topic) return codec;
    }
    return undefined;
  }

  /** Every view registered now. */
  views(): StatusSource<ViewStatus>[] {
    return [...this.#views];
  }
}
