import type { Command } from '../command.ts';
import { consumeCommand } from './consume.ts';
import { dlqCommand } from './dlq.ts';
import { groupsCommand } from './groups.ts';
import { processorsCommand } from './processors.ts';
import { produceCommand } from './produce.ts';
import { topicsCommand } from './topics.ts';

/** Commands that act on a running Herald or a Kafka cluster. */
export function clientCommands(): Command[] {
  return [topicsCommand, produceCommand, consumeCommand, groupsCommand, dlqCommand, processorsCommand];
}
