/**
 * The broker view's actions: create a topic, produce a message, delete a topic (its name typed again to confirm).
 * Each is a form post carrying the console's token and is recorded in the audit; each answers with a redirect to the
 * page that shows its result.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminApi } from '../admin/api.ts';
import { HeraldError } from '../errors.ts';
import type { ConsoleAudit } from './audit.ts';
import type { CsrfGuard } from './csrf.ts';

export interface TopicActionsOptions {
  admin: AdminApi;
  csrf: CsrfGuard;
  audit: ConsoleAudit;
  who(request: FastifyRequest): string;
}

type Form = Record<string, string | undefined>;

const topicPage = (name: string) => `/console/topics/${encodeURIComponent(name)}`;

/** `name: value` lines as record headers. @throws HeraldError `HERALD_VALIDATION_FAILED` for a line without `:`. */
export function parseHeaderLines(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of (text ?? '').split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HeraldError('HERALD_VALIDATION_FAILED', `a header line must be name: value (got ${JSON.stringify(line)})`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

export function registerTopicActions(app: FastifyInstance, options: TopicActionsOptions): void {
  const { admin, csrf, audit } = options;
  /** Runs `act` after the CSRF check, recording it in the audit whatever its outcome. */
  const audited = async <T>(request: FastifyRequest, action: string, target: string, act: () => Promise<T>, outcome: (result: T) => string) => {
    csrf.check(request, (request.body as Form | undefined)?.csrf);
    try {
      const result = await act();
      audit.record({ who: options.who(request), action, target, outcome: outcome(result) });
      return result;
    } catch (err) {
      audit.record({ who: options.who(request), action, target, outcome: `failed: ${(err as Error).message}` });
      throw err;
    }
  };

  app.post<{ Body: Form }>('/topics', { schema: { summary: 'console: create a topic (a form post)' } }, async (request, reply) => {
    const form = request.body ?? {};
    const name = (form.name ?? '').trim();
    const partitions = Number(form.partitions ?? '1');
    await audited(
      request,
      'create topic',
      name,
      () => admin.createTopic({ name, partitions, compacted: form.compacted === 'on' }),
      (topic) => `${topic.partitions.length} partitions${topic.compacted ? ', compacted' : ''}`,
    );
    return reply.redirect(topicPage(name), 303);
  });

  app.post<{ Params: { name: string }; Body: Form }>(
    '/topics/:name/messages',
    { schema: { summary: 'console: produce a message (a form post)' } },
    async (request, reply) => {
      const { name } = request.params;
      const form = request.body ?? {};
      const partition = form.partition?.trim() ? Number(form.partition) : undefined;
      const record = {
        topic: name,
        key: form.key ? Buffer.from(form.key) : null,
        value: Buffer.from(form.value ?? ''),
        headers: parseHeaderLines(form.headers),
        ...(partition === undefined ? {} : { partition }),
      };
      await audited(request, 'produce', name, () => admin.produce([record]), ([at]) => `partition ${at.partition}, offset ${at.offset}`);
      return reply.redirect(topicPage(name), 303);
    },
  );

  app.post<{ Params: { name: string }; Body: Form }>(
    '/topics/:name/delete',
    { schema: { summary: 'console: delete a topic (a form post; its name typed again)' } },
    async (request, reply) => {
      const { name } = request.params;
      const confirm = request.body?.confirm;
      await audited(
        request,
        'delete topic',
        name,
        async () => {
          if (confirm !== name) throw new HeraldError('HERALD_VALIDATION_FAILED', `type the topic's name (${name}) to delete it`);
          await admin.deleteTopic(name);
        },
        () => 'deleted',
      );
      return reply.redirect('/console/topics', 303);
    },
  );
}
