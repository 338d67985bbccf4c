import { faultSuite } from './faults.ts';

faultSuite('embedded', { url: async () => 'embedded', separateProcesses: false });
