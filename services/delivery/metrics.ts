import { Counter, Histogram, type Registry } from 'prom-client';

/** The delivery service's own metrics (the runtime's `herald_handler_*` cover attempts, retries, dead letters). */
export interface DeliveryMetrics {
  /** Events accepted by `POST /publish[/batch]`. */
  accepted: Counter;
  /** Events delivered (2xx), per destination. */
  delivered: Counter<'destination'>;
  /** From the event's acceptance to its 2xx at the destination, per destination. */
  latency: Histogram<'destination'>;
}

export function deliveryMetrics(registry: Registry): DeliveryMetrics {
  return {
    accepted: new Counter({
      name: 'herald_delivery_accepted_total',
      help: 'events accepted by POST /publish and /publish/batch',
      registers: [registry],
    }),
    delivered: new Counter({
      name: 'herald_delivery_delivered_total',
      help: 'events a destination answered 2xx',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'herald_delivery_latency_seconds',
      help: 'from acceptance to the destination’s 2xx',
      labelNames: ['destination'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
  };
}
