import { HeraldError } from '../errors.ts';

/** `HERALD_TOPOLOGY_INVALID` naming the group and every problem (also in `details`). */
export function invalid(group: string, problems: string[]): HeraldError {
  return new HeraldError('HERALD_TOPOLOGY_INVALID', `processor ${group}: ${problems.join('; ')}`, {
    details: problems,
  });
}
