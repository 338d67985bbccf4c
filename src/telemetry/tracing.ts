import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { RecentTraces } from './recent-traces.ts';
import { setHeraldSampler } from './active.ts';
import { NewTraceSampler } from './sampler.ts';
import { installContextManager } from './trace-context.ts';
import { type TracingSettings, tracingWanted } from './settings.ts';

/** How often batched spans are exported. */
const EXPORT_DELAY_MS = 1_000;

/**
 * Herald's tracing, set up from {@link TracingSettings}: a tracer provider with a parent-based sampler (new traces
 * by {@link NewTraceSampler}: a ratio and a cap a second), an
 * OTLP/HTTP (protobuf) exporter when an endpoint is set, and the in-memory {@link RecentTraces} when `recent > 0`.
 * `start` registers the provider as the process's global one (OpenTelemetry's API has one per process: the last
 * Herald started in a process is the one whose spans are recorded); `stop` exports what is left, then unregisters
 * it. With nothing asked for, it registers nothing and Herald's hot paths skip span work entirely.
 */
export class Tracing {
  /** The traces kept in memory, or `undefined` when none are. */
  readonly recent: RecentTraces | undefined;
  readonly #provider: BasicTracerProvider | undefined;
  readonly #sampler: NewTraceSampler;
  #registered = false;

  constructor(settings: TracingSettings) {
    this.recent = settings.recent > 0 ? new RecentTraces(settings.recent) : undefined;
    this.#sampler = new NewTraceSampler(settings.sampleRatio, settings.perSecond);
    if (!tracingWanted(settings)) return;
    const processors: SpanProcessor[] = [];
    if (this.recent !== undefined) processors.push(this.recent);
    if (settings.endpoint !== undefined) {
      processors.push(
        new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }), {
          scheduledDelayMillis: EXPORT_DELAY_MS,
          maxQueueSize: 8_192,
          maxExportBatchSize: 1_024,
        }),
      );
    }
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes(settings.resource),
      sampler: new ParentBasedSampler({ root: this.#sampler }),
      spanProcessors: processors,
    });
  }

  /** Whether spans are recorded at all. */
  get enabled(): boolean {
    return this.#provider !== undefined;
  }

  start(): void {
    if (this.#provider === undefined || this.#registered) return;
    installContextManager();
    trace.disable();
    this.#registered = trace.setGlobalTracerProvider(this.#provider);
    setHeraldSampler(this.#registered ? this.#sampler : undefined);
  }

  /** Exports the spans still batched, then unregisters the provider (if it is still the global one). */
  async stop(): Promise<void> {
    if (this.#provider === undefined) return;
    await this.#provider.shutdown();
    const global = trace.getTracerProvider();
    // Another Herald started in this process since replaced it: that one's stays.
    const stillOurs = global instanceof ProxyTracerProvider && global.getDelegate() === this.#provider;
    if (this.#registered && stillOurs) {
      trace.disable();
      setHeraldSampler(undefined);
    }
    this.#registered = false;
  }
}
