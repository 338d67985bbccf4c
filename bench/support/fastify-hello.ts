/**
 * The yardstick for Herald's HTTP ingest: a bare fastify 5 server, run as its own process like Herald, whose one
 * route parses a JSON body and answers 201 with a small JSON object — the HTTP handling around a produce, without
 * the produce. Prints `serving on <url>` to stderr once listening.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/echo', async (request, reply) => reply.status(201).send({ ok: true, size: JSON.stringify(request.body).length }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write(`serving on ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
