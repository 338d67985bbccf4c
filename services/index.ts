import type { ServiceDefinition } from '#herald';
import { deliveryService } from './delivery/index.ts';
import { notifyService } from './notify/index.ts';
import { tasksService } from './tasks/index.ts';

/** Every service `herald start` can run, in start order. Each system adds itself here when it lands. */
export const services: ServiceDefinition[] = [notifyService, deliveryService, tasksService];
