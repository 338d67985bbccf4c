/**
 * notify — the pub/sub notification system (SPEC 2.1): `POST /api/v1/produce` appends notification requests to
 * their topic; an email group and an SMS group consume them and send "Transaction Successful" messages. With no SMTP
 * host or SMS URL configured, local sinks receive them and show them at `GET /notify/inbox` (in-process, or over
 * the loopback to a local SMTP server and HTTP endpoint with `notify.localSinks: servers`).
 *
 * `notify.role` splits the service: `api` runs only the produce API, `consumers` only the consumer groups (and the
 * local sinks they need), `all` (default) both — so an API process keeps accepting while a consumer process is down.
 */
import { type Component, creates, HeraldError, localOnly, type ServiceContext, type ServiceDefinition } from '#herald';
import type { Producer } from '#herald/broker';
import { registerProduceRoute } from './api.ts';
import { EmailChannel } from './channels/email.ts';
import { SmsChannel } from './channels/sms.ts';
import { configSchema, type NotifyConfig } from './config.ts';
import { notifyRouter } from './handlers.ts';
import { SinkInbox, registerInboxRoute } from './inbox.ts';
import { inProcessEmail, inProcessSms } from './sinks/in-process.ts';
import { localSmsUrl, registerSmsSink } from './sinks/sms.ts';
import { SmtpSink } from './sinks/smtp.ts';
import { notifyTopics } from './topics.ts';

export { configSchema } from './config.ts';

/** The notify service, bootable alone (`herald start notify`) or with the others. */
export const notifyService: ServiceDefinition<NotifyConfig> = {
  name: 'notify',
  summary: 'notifications: POST /api/v1/produce; email and SMS consumer groups with local sinks',
  configSchema,
  // Every subscribed topic, with `partitions` partitions when created; an existing topic keeps its partition count
  // (the produce API asks the broker, never the config, which partitions exist).
  topology: (config) =>
    notifyTopics(config).map((name) => creates('notify', 'input', { name, partitions: config.partitions })),
  create(context) {
    const { config } = context;
    const components: Component[] = [];
    if (config.role !== 'api') components.push(...consumers(context));
    if (config.role !== 'consumers') components.push(produceApi(context));
    return components;
  },
};

/** The consumer side: local sinks where no real server is configured, both channels, and the router. */
function consumers({ config, platform, broker, app, logger, metrics }: ServiceContext<NotifyConfig>): Component[] {
  const components: Component[] = [];
  const inbox = new SinkInbox(config.inboxSize);
  const localEmail = config.smtp.host === '';
  const localSms = config.sms.url === '';
  const inProcess = config.localSinks === 'in-process';
  let smtpSink: SmtpSink | undefined;
  if (localEmail && !inProcess) {
    smtpSink = new SmtpSink({ inbox, logger, maxBytes: 4 * config.maxMessageBytes + 65_536 });
    components.push(smtpSink);
  }
  // The sinks show recipients and bodies and accept anything: this machine only (or the admin token).
  app.register(async (local) => {
    local.addHook('onRequest', localOnly(platform.http));
    if (localSms) registerSmsSink(local, inbox);
    if (localEmail || localSms) registerInboxRoute(local, inbox);
  });

  const { smtp } = config;
  const emailChannel = new EmailChannel({
    from: smtp.from,
    target: () => ({
      host: smtpSink ? '127.0.0.1' : smtp.host,
      port: smtpSink ? smtpSink.port : smtp.port,
      secure: smtpSink ? false : smtp.secure,
      user: smtpSink ? undefined : smtp.user,
      password: smtp.password,
      timeoutMs: smtp.timeoutMs,
    }),
  });
  const smsChannel = new SmsChannel({
    url: localSms ? localSmsUrl(app) : () => config.sms.url,
    timeoutMs: config.sms.timeoutMs,
  });
  const email = localEmail && inProcess ? inProcessEmail(inbox, logger) : emailChannel;
  const sms = localSms && inProcess ? inProcessSms(inbox, logger) : smsChannel;
  // Started before the router and so stopped after it: no send is running when the SMTP pool and the SMS
  // gateway's connections close.
  components.push({
    name: 'notify-channels',
    start: async () => {},
    stop: async () => {
      await Promise.all([emailChannel.close(), smsChannel.close()]);
    },
  });
  components.push(notifyRouter({ config, broker, logger, metrics, senders: { email, sms } }));
  return components;
}

/** The produce API: the route now, its producer once started. */
function produceApi({ config, broker, app }: ServiceContext<NotifyConfig>): Component {
  let producer: Producer | undefined;
  registerProduceRoute(app, {
    topics: notifyTopics(config),
    maxMessageBytes: config.maxMessageBytes,
    admin: broker.admin,
    producer: () => {
      if (!producer) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the notify API is not running');
      return producer;
    },
  });
  return {
    name: 'notify-api',
    start: async () => {
      producer = broker.producer();
    },
    stop: async () => {
      const closing = producer;
      producer = undefined;
      await closing?.close();
    },
  };
}
