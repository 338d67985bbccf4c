import type { Broker } from '../../broker/port.ts';
import { recordView } from '../../http/admin/encoding.ts';
import { summarizeGroups } from '../../http/admin/groups.ts';
import type { AdminTarget } from './target.ts';

/** Works on a broker directly (a Kafka cluster; the embedded one is owned by its server, so use the server). */
export async function brokerTarget(broker: Broker): Promise<AdminTarget> {
  await broker.start();
  const producer = broker.producer();
  return {
    createTopic: async (spec) => {
      await broker.admin.createTopic(spec);
      return broker.admin.describeTopic(spec.name);
    },
    listTopics: () => broker.admin.listTopics(),
    describeTopic: (name) => broker.admin.describeTopic(name),
    deleteTopic: (name) => broker.admin.deleteTopic(name),
    produce: async (records) => (await producer.send(records)).map(({ partition, offset }) => ({ partition, offset })),
    read: async (position, limit) => (await broker.admin.read(position, limit)).map(recordView),
    listGroups: () => summarizeGroups(broker.admin),
    describeGroup: (group) => broker.admin.describeGroup(group),
    close: () => broker.stop(),
  };
}
