/**
 * Secrets planted in the configuration (admin token, SMTP password, a destination's HMAC secret and API-key header,
 * Kafka SASL password) must never show: not in the log at debug level, not in any answer of any GET route, not in
 * the configuration errors a mistyped secret or a broken destinations list produce.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { HERALD_BIN } from '../shared/herald-child.ts';
import type { ChaosOptions } from './options.ts';
import type { ProbeResult } from './report.ts';
import { chaosHerald, request } from './herald.ts';

const PLANTED = {
  token: 'tok-PLANTED-a1b2c3',
  smtp: 'smtp-PLANTED-d4e5f6',
  hmac: 'hmac-PLANTED-g7h8i9',
  header: 'hdr-PLANTED-j0k1l2',
  sasl: 'sasl-PLANTED-m3n4o5',
  number: '987654321123',
};

function leaks(text: string): string[] {
  return Object.values(PLANTED).filter((secret) => text.includes(secret));
}

export async function secretsProbe(workDir: string, result: ProbeResult, _options: ChaosOptions): Promise<void> {
  const destinations = [
    {
      id: 'planted',
      url: '/mock-destinations/mock-mostly-ok',
      secret: PLANTED.hmac,
      headers: { 'X-Api-Key': PLANTED.header, Authorization: `Bearer ${PLANTED.header}` },
    },
  ];
  const config = {
    http: { adminToken: PLANTED.token },
    notify: { smtp: { password: PLANTED.smtp } },
    broker: { sasl: { password: PLANTED.sasl } },
    delivery: { destinations },
  };
  const { herald, log } = chaosHerald(workDir, 'secrets', { config, args: ['--log-level', 'debug'] });
  const url = await herald.start();
  const auth = { authorization: `Bearer ${PLANTED.token}` };
  let answers = 0;
  const check = (where: string, text: string) => {
    answers++;
    for (const secret of leaks(text)) result.problems.push(`${where} shows ${secret}`);
  };
  try {
    // Some work first, so that logs and status have something to say.
    const published = await request(`${url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'secrets', payload: { n: 1 } }),
    });
    check('POST /publish', published?.text ?? '');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const document = JSON.parse((await request(`${url}/openapi.json`))!.text) as { paths: Record<string, object> };
    for (const [route, operations] of Object.entries(document.paths)) {
      if (!('get' in operations)) continue;
      const at = route.replace(/\{[^}]+\}/g, route.startsWith('/mock-destinations') ? 'mock-mostly-ok' : 'planted');
      const answer = await request(`${url}${at}`, { headers: auth }, 3_000);
      check(`GET ${route}`, answer?.text ?? '');
    }
  } finally {
    await herald.stop();
  }
  check('the log', log());

  // Configuration errors that quote secrets.
  const broken = path.join(workDir, 'secrets', 'broken.json');
  const cases: Array<[string, string[], Record<string, string>]> = [
    ['a numeric admin token', ['--config', broken], {}],
    ['a broken destinations list', [], { HERALD_DELIVERY__DESTINATIONS: `[${JSON.stringify(destinations[0])}, {"id": 5}]` }],
    ['an SMTP password from the environment beside a bad port', ['--set', 'http.port=nope'], { HERALD_NOTIFY__SMTP__PASSWORD: PLANTED.smtp }],
  ];
  writeFileSync(
    broken,
    JSON.stringify({ http: { adminToken: Number(PLANTED.number) }, notify: { smtp: { password: Number(PLANTED.number) } } }),
  );
  for (const [what, args, env] of cases) {
    const run = spawnSync(process.execPath, [HERALD_BIN, 'start', ...args], {
      env: { ...process.env, HERALD_BROKER__KAFKA_LISTENER__LISTEN: 'off', ...env },
      encoding: 'utf8',
      timeout: 20_000,
      cwd: path.join(workDir, 'secrets'),
    });
    if (run.status === 0) result.problems.push(`${what}: Herald started`);
    check(`the configuration error for ${what}`, `${run.stdout}${run.stderr}`);
  }
  result.figures['outputs checked'] = answers;
  result.figures.planted = Object.keys(PLANTED).length;
}
