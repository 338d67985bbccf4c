import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  /** What a route says about itself for `/openapi.json` (fastify ignores these keys when validating). */
  interface FastifySchema {
    summary?: string;
    description?: string;
  }
}

/** What is kept of a route to describe it: fastify's own route schema, nothing written twice. */
interface DescribedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

/** An OpenAPI 3.1 document (only the parts Herald fills in). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
}

/**
 * Records every route added to `app` from now on (call before any route is registered), and answers
 * `GET /openapi.json` with an OpenAPI 3.1 document built from the routes' JSON schemas — params, querystring, body
 * and responses as fastify validates them. Built once, at the first request, when every route is known.
 */
export function registerOpenApi(app: FastifyInstance): void {
  const routes: DescribedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      // fastify adds a HEAD for every GET by itself; describing it adds nothing.
      if (method === 'HEAD' || route.url === undefined) continue;
      routes.push({ method: method.toLowerCase(), url: route.url, schema: (route.schema ?? {}) as Record<string, unknown> });
    }
  });
  let document: OpenApiDocument | undefined;
  app.get('/openapi.json', { schema: { summary: 'this description' } }, async () => (document ??= buildDocument(routes)));
}

/** The document for these routes. */
export function buildDocument(routes: readonly DescribedRoute[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url))) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald',
      version: '1',
      description:
        'Every route this Herald serves, from the JSON schemas it validates requests with. Errors are ' +
        '{"error": {"code": "HERALD_…", "message", "details"?}}.',
    },
    paths,
  };
}

function operation(route: DescribedRoute): Record<string, unknown> {
  const { schema } = route;
  const parameters = [
    ...parametersOf(schema.params, 'path'),
    ...parametersOf(schema.querystring ?? schema.query, 'query'),
  ];
  const responses: Record<string, unknown> = {};
  const declared = schema.response as Record<string, unknown> | undefined;
  for (const [status, body] of Object.entries(declared ?? {})) {
    responses[status] = { description: `${status}`, content: { 'application/json': { schema: body } } };
  }
  if (Object.keys(responses).length === 0) responses.default = { description: 'JSON (see the README)' };
  return {
    operationId: `${route.method} ${route.url}`,
    ...(typeof schema.summary === 'string' ? { summary: schema.summary } : {}),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } } : {}),
    responses,
  };
}

function parametersOf(schema: unknown, where: 'path' | 'query'): Record<string, unknown>[] {
  const object = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  if (!object?.properties) return [];
  return Object.entries(object.properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
}
