/**
 * `target` seen through a proxy that answers the members in `overrides` with those, and every other member with the
 * target's own (methods bound to it, so private fields keep working). For decorating a few methods of an object
 * whose other members — adapter-specific extras included — must stay exactly the target's.
 */
export function overriding<T extends object>(target: T, overrides: ReadonlyMap<PropertyKey, unknown>): T {
  return new Proxy(target, {
    get(object, property) {
      if (overrides.has(property)) return overrides.get(property);
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}
