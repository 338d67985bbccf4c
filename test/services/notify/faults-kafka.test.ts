import { kafkaSingle } from '../../support/kafka.ts';
import { faultSuite } from './faults.ts';

// On Kafka the API and the consumers run as two processes, so case 3 kills only the consumer process while the API
// process keeps accepting.
faultSuite('kafka', {
  url: async (t) => {
    const servers = await kafkaSingle(t);
    return servers === undefined ? undefined : `kafka://${servers.join(',')}`;
  },
  separateProcesses: true,
});
