import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TelemetryConfig, tracingSettings, tracingWanted } from '../../src/telemetry/settings.ts';

const config = (over: Partial<TelemetryConfig['traces']> = {}, top: Partial<TelemetryConfig> = {}): TelemetryConfig => ({
  serviceName: '',
  resourceAttributes: '',
  ...top,
  traces: { endpoint: '', sampleRatio: 1, perSecond: 0, recent: 0, ...over },
});

describe('tracing settings', () => {
  it('off by default: no export, nothing kept, service herald', () => {
    const settings = tracingSettings(config(), {});
    assert.deepEqual(settings, { endpoint: undefined, sampleRatio: 1, perSecond: 0, recent: 0, resource: { 'service.name': 'herald' } });
    assert.equal(tracingWanted(settings), false);
    assert.equal(tracingWanted(tracingSettings(config({ recent: 10 }), {})), true);
  });

  it('the config wins; OTEL_* variables fill what it leaves empty', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_SERVICE_NAME: 'shop',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=pay%20ments,broken',
    };
    const fromEnv = tracingSettings(config(), env);
    assert.equal(fromEnv.endpoint, 'http://collector:4318/v1/traces');
    assert.deepEqual(fromEnv.resource, { 'deployment.environment': 'prod', team: 'pay ments', 'service.name': 'shop' });
    const specific = tracingSettings(config(), { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/x' });
    assert.equal(specific.endpoint, 'http://t:1/x');
    const configured = tracingSettings(
      config({ endpoint: 'http://127.0.0.1:4318/v1/traces' }, { serviceName: 'herald-a', resourceAttributes: 'team=core' }),
      env,
    );
    assert.equal(configured.endpoint, 'http://127.0.0.1:4318/v1/traces');
    assert.equal(configured.resource['service.name'], 'herald-a');
    assert.equal(configured.resource.team, 'core');
  });

  it('OTEL_TRACES_SAMPLER overrides the ratio; OTEL_SDK_DISABLED turns everything off', () => {
    const ratio = (env: Record<string, string>) => tracingSettings(config({ sampleRatio: 0.5 }), env).sampleRatio;
    assert.equal(ratio({}), 0.5);
    assert.equal(ratio({ OTEL_TRACES_SAMPLER: 'always_off' }), 0);
    assert.equal(ratio({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }), 1);
    assert.equal(ratio({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }), 0.25);
    assert.equal(ratio({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }), 1);
    assert.equal(ratio({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'x' }), 1);
    assert.equal(ratio({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), 0.5);
    const off = tracingSettings(config({ endpoint: 'http://a:1/v1/traces', recent: 5 }), { OTEL_SDK_DISABLED: 'true' });
    assert.equal(tracingWanted(off), false);
  });
});
