import type { FastifyInstance } from 'fastify';

/**
 * The methods each registered path accepts, so that a known path asked with another method answers 405 with an
 * `Allow` header instead of 404. Paths are fastify's (`/admin/topics/:name`, `*`); each becomes a pattern.
 */
export class RouteMethods {
  readonly #routes: { pattern: RegExp; method: string }[] = [];

  /** Records every route registered on `app` from now on (call before any route is added). */
  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const pattern = toPattern(route.url ?? route.path);
      for (const method of methods) this.#routes.push({ pattern, method: method.toUpperCase() });
    });
  }

  /** Methods some route accepts for this concrete path (no query string), sorted; empty when none. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, method } of this.#routes) if (pattern.test(path)) methods.add(method);
    return [...methods].sort();
  }
}

function toPattern(path: string): RegExp {
  const parts = path.split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?|\*)/).map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}$`);
}
