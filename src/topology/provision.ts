import type { Admin } from '../broker/port.ts';
import { HeraldError, isHeraldError } from '../errors.ts';
import type { TopicDeclaration } from './declaration.ts';
import { checkTopology, resolveLike, specOf } from './validate.ts';

/** What provisioning did: topics ensured (created when missing), and used topics nobody creates that are missing. */
export interface ProvisionReport {
  ensured: string[];
  /** Used, created by no declaration, and absent: consumers wait for them, producers to them fail. */
  missing: TopicDeclaration[];
}

/**
 * The one place Herald creates the topics of a topology: checks the declarations (`checkTopology`), then ensures
 * every topic a declaration creates — a missing one is created as declared, an existing one is left as it is; one
 * declared `like` another topic gets that topic's partition count, from its declaration or else from the broker —
 * and (unless `lookUpUsed` is false) looks up the topics only used, reporting those that do not exist. Idempotent:
 * running it again over the same declarations creates nothing.
 * @throws HeraldError `HERALD_CONFIG_INVALID` for invalid declarations (nothing is created) or a `like` topic that
 * neither exists nor is declared, or the broker's error.
 */
export async function provisionTopology(
  admin: Admin,
  declarations: readonly TopicDeclaration[],
  options: { lookUpUsed?: boolean } = {},
): Promise<ProvisionReport> {
  checkTopology(declarations);
  const resolved = resolveLike(declarations);
  const ensured: string[] = [];
  const created = new Set<string>();
  for (const declaration of resolved) {
    const spec = specOf(declaration);
    if (spec === undefined || created.has(spec.name)) continue;
    created.add(spec.name);
    await admin.ensureTopic(spec);
    ensured.push(spec.name);
  }
  for (const declaration of resolved) {
    const { like } = declaration;
    if (like === undefined || created.has(declaration.name)) continue;
    created.add(declaration.name);
    const partitions = (await describeModel(admin, declaration, like.topic)).partitions.length;
    await admin.ensureTopic({ ...like.settings, name: declaration.name, partitions });
    ensured.push(declaration.name);
  }
  const missing: TopicDeclaration[] = [];
  if (options.lookUpUsed === false) return { ensured, missing };
  const looked = new Set<string>();
  for (const declaration of declarations) {
    if (created.has(declaration.name) || looked.has(declaration.name)) continue;
    looked.add(declaration.name);
    try {
      await admin.describeTopic(declaration.name);
    } catch (err) {
      if (!isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND')) throw err;
      missing.push(declaration);
    }
  }
  return { ensured, missing };
}

async function describeModel(admin: Admin, declaration: TopicDeclaration, model: string) {
  try {
    return await admin.describeTopic(model);
  } catch (err) {
    if (!isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND')) throw err;
    const message =
      `topology: ${declaration.name} (${declaration.role} of ${declaration.owner}) is partitioned like ${model}, ` +
      'which does not exist and no declaration creates';
    throw new HeraldError('HERALD_CONFIG_INVALID', message, { details: [message], cause: err });
  }
}
