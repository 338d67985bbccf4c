/**
 * Herald's request log: one line a request, when it is answered — method, path, client, status and time (fastify's
 * `request completed` line, with the request in it) — instead of fastify's two (`incoming request` at the start
 * as well, kept at `debug`). At info level that halves the lines an API writes; with notify's produce API the two
 * lines together cost 10–20% of its throughput, though single runs on the shared machine vary as much (BENCHMARKS.md,
 * Ingest).
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export class AccessLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
