declare module 'pino-roll' {
  import type { Writable } from 'node:stream';

  interface RollOptions {
    file: string;
    size?: string | number;
    frequency?: 'daily' | 'hourly' | number;
    mkdir?: boolean;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
    sync?: boolean;
  }
  /** Opens a size/time-rotated log file (a SonicBoom stream). */
  export default function build(options: RollOptions): Promise<Writable & { flushSync(): void; end(): void }>;
}
