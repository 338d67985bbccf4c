import type { Command } from '../command.ts';
import { JSON_HELP, jsonOption, printJson, wantsTable } from '../output.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { recordCount } from './topics.ts';
import { withTarget } from './with-target.ts';

/** `herald metadata`: the broker and every topic with its partitions' offsets, like `kcat -L`. */
export const metadataCommand: Command = {
  name: 'metadata',
  summary: 'the broker, every topic and its partitions with their offsets (like kcat -L)',
  usage: '[TOPIC]',
  options: { ...targetOptions, ...jsonOption },
  help: [JSON_HELP, ...TARGET_HELP],
  run: (parsed, io) => {
    const [only] = parsed.positionals;
    return withTarget(parsed, io, async (target) => {
      const metadata = await target.metadata();
      const topics = metadata.topics.filter((t) => only === undefined || t.name === only);
      if (!wantsTable(parsed, io)) {
        printJson(io, { ...metadata, topics });
        return 0;
      }
      const out: string[] = [`Metadata from the ${metadata.broker} broker:`, ` ${topics.length} topics:`];
      for (const topic of topics) {
        const kind = topic.compacted ? ', compacted' : '';
        out.push(`  topic "${topic.name}" with ${topic.partitions.length} partitions, ${recordCount(topic)} records${kind}:`);
        for (const p of topic.partitions) out.push(`    partition ${p.partition}, earliest ${p.earliest}, latest ${p.latest}`);
      }
      io.stdout.write(`${out.join('\n')}\n`);
      return 0;
    });
  },
};
