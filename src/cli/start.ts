import type { EmbeddedBroker } from '../broker/embedded/index.ts';
import { boot } from '../platform/boot.ts';
import type { ServiceDefinition } from '../platform/service.ts';
import { stopOnSignals } from '../platform/signals.ts';
import { type Command, type Io, say, UsageError } from './command.ts';
import { CONFIG_HELP, configOptions, flagsToConfig } from './config-flags.ts';

/** `herald start [service…]`: runs the named services (default: all) until SIGINT/SIGTERM. */
export function startCommand(services: ServiceDefinition[]): Command {
  const names = services.map((s) => s.name);
  return {
    name: 'start',
    summary: 'run Herald: the HTTP API, the broker and the services',
    usage: `[service…] [options]   (services: ${names.join(', ') || 'none yet'})`,
    options: configOptions,
    help: CONFIG_HELP,
    async run(parsed, io: Io) {
      const unknown = parsed.positionals.filter((name) => !names.includes(name));
      if (unknown.length > 0)
        throw new UsageError(`unknown service '${unknown[0]}' (known: ${names.join(', ') || 'none'})`);
      const selected =
        parsed.positionals.length > 0 ? services.filter((s) => parsed.positionals.includes(s.name)) : services;
      const running = await boot({
        services: selected,
        allServices: services,
        file: parsed.values.config as string | undefined,
        env: io.env,
        flags: flagsToConfig(parsed.values),
      });
      // Signal handlers first: whoever reads the line below may signal at once.
      const stopped = stopOnSignals(running.lifecycle, running.logger, running.config.shutdown.timeoutMs);
      const kafka = (running.broker as Partial<EmbeddedBroker>).kafkaListenerAddress?.();
      const listener = kafka ? `; Kafka clients: ${kafka.host}:${kafka.port}` : '';
      say(io.stderr, `herald: serving on ${running.url} (broker: ${running.config.broker.url}${listener})`);
      return stopped;
    },
  };
}
