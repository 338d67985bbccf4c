/**
 * `herald/testing`: what tests of a Herald service need — Herald booted in the test's process on a temporary data
 * directory, or an embedded broker alone.
 */
export { startTestBroker, type TestBroker } from './broker.ts';
export { startTestHerald, type TestHerald, type TestHeraldOptions } from './herald.ts';
