/** The `telemetry` section of the platform config, as the config loader gives it. */
export interface TelemetryConfig {
  serviceName: string;
  resourceAttributes: string;
  traces: { endpoint: string; sampleRatio: number; perSecond: number; recent: number };
}

/** What Herald's tracing runs with: the config, completed from the standard `OTEL_*` environment variables. */
export interface TracingSettings {
  /** Where spans are exported (OTLP/HTTP protobuf); `undefined`: no export. */
  endpoint: string | undefined;
  /** Fraction of new traces recorded (a sampled parent is always followed). */
  sampleRatio: number;
  /** At most this many new traces recorded a second (0: no limit); traces a caller sampled are always followed. */
  perSecond: number;
  /** Traces kept in memory for `GET /admin/traces`; 0: none. */
  recent: number;
  /** Resource attributes, `service.name` included. */
  resource: Record<string, string>;
}

/**
 * The config's values win where set; what they leave empty comes from the OpenTelemetry environment variables:
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`), `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES` (the config's attributes are added to them, winning on the same key). A set
 * `OTEL_TRACES_SAMPLER` (`always_on`, `always_off`, `traceidratio`, `parentbased_*` with `OTEL_TRACES_SAMPLER_ARG`)
 * overrides `sampleRatio`. `OTEL_SDK_DISABLED=true` turns tracing off whatever the config says.
 */
export function tracingSettings(config: TelemetryConfig, env: Record<string, string | undefined>): TracingSettings {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const endpoint = disabled ? undefined : exportEndpoint(config.traces.endpoint, env);
  const resource = {
    ...parseAttributes(env.OTEL_RESOURCE_ATTRIBUTES ?? ''),
    ...parseAttributes(config.resourceAttributes),
  };
  resource['service.name'] = config.serviceName || env.OTEL_SERVICE_NAME?.trim() || resource['service.name'] || 'herald';
  return {
    endpoint,
    sampleRatio: samplerRatio(env) ?? config.traces.sampleRatio,
    perSecond: config.traces.perSecond,
    recent: disabled ? 0 : config.traces.recent,
    resource,
  };
}

/** Whether the settings ask for any tracing at all (an export, or traces kept in memory). */
export function tracingWanted(settings: TracingSettings): boolean {
  return settings.endpoint !== undefined || settings.recent > 0;
}

function exportEndpoint(configured: string, env: Record<string, string | undefined>): string | undefined {
  if (configured !== '') return configured;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** `OTEL_TRACES_SAMPLER` as a ratio of new traces, or `undefined` when it is unset or names no sampler Herald has. */
function samplerRatio(env: Record<string, string | undefined>): number | undefined {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (sampler === undefined || sampler === '') return undefined;
  if (sampler === 'always_on' || sampler === 'parentbased_always_on') return 1;
  if (sampler === 'always_off' || sampler === 'parentbased_always_off') return 0;
  if (sampler === 'traceidratio' || sampler === 'parentbased_traceidratio') {
    const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
    return Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1;
  }
  return undefined;
}

/** `k=v,k2=v2` (values percent-decoded, as the OpenTelemetry variable specifies); malformed pairs are skipped. */
function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    try {
      out[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      out[key] = pair.slice(at + 1).trim();
    }
  }
  return out;
}
