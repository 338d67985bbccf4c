/** What users need in their own unit tests: processors run in memory, without a broker. */
export {
  type SendOptions,
  type SendResult,
  type TesterOptions,
  type TestRecord,
  TopologyTester,
} from '../processor/tester.ts';
