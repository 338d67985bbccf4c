/**
 * `herald/testing`: what tests of a Herald service need — Herald booted in the test's process on a temporary data
 * directory, or an embedded broker alone — and the topology tester, which runs a processor's callbacks in memory
 * without a broker.
 */
export { startTestBroker, type TestBroker } from './broker.ts';
export { startTestHerald, type TestHerald, type TestHeraldOptions } from './herald.ts';
export {
  type SendOptions,
  type SendResult,
  type TesterOptions,
  type TestRecord,
  TopologyTester,
} from '../processor/tester.ts';
