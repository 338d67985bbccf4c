import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { walletService } from '../../../services/wallet/index.ts';
import { bootHerald, request } from '../../support/boot.ts';
import { kafkaSingle } from '../../support/kafka.ts';

/**
 * The wallet end to end over HTTP, on both brokers: the four threshold cases with real event time (the window
 * shortened to 3 s so the test does not wait minutes; the rule's arithmetic is the same), exact balances,
 * read-your-writes (each check right after its deposit), validation and the error shape.
 */
const WINDOW_MS = 3_000;

async function bootWallet(t: TestContext, kafka?: string[]) {
  const flags: Record<string, string> = {
    'wallet.windowMs': String(WINDOW_MS),
    'wallet.graceMs': '1000',
    'wallet.checkWaitMs': '5000',
  };
  if (kafka !== undefined) {
    flags['broker.url'] = `kafka://${kafka.join(',')}`;
    flags['wallet.prefix'] = `w${randomUUID().slice(0, 8)}.`;
  }
  const herald = await bootHerald(t, flags, [walletService]);
  const deposit = (wallet_id: unknown, amount: unknown) => request(`${herald.url}/api/deposit`, 'POST', { wallet_id, amount });
  const check = async (id: string) => (await request(`${herald.url}/api/check/${encodeURIComponent(id)}`)).body;
  return { herald, deposit, check };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scenarios(t: TestContext, kafka?: string[]) {
  const { deposit, check } = await bootWallet(t, kafka);
  const ok = async (id: string, amount: number) => {
    const answer = await deposit(id, amount);
    assert.deepEqual(answer, { status: 200, body: { code: 200, data: null, message: 'success' } });
  };

  await t.test('unknown wallet: balance 0, not above', async () => {
    assert.deepEqual(await check('nobody'), { wallet_id: 'nobody', balance: 0, above_threshold: false });
  });

  await t.test('exact balances and read-your-writes: 0.1 + 0.2 shows 0.3 right after the deposits', async () => {
    await ok('exact', 0.1);
    assert.equal((await check('exact')).balance, 0.1);
    await ok('exact', 0.2);
    assert.deepEqual(await check('exact'), { wallet_id: 'exact', balance: 0.3, above_threshold: false });
    for (let i = 0; i < 10; i++) await ok('exact', 0.01);
    assert.equal((await check('exact')).balance, 0.4);
  });

  // The four cases run concurrently (one wallet each), so the waits overlap.
  const cases = [
    async () => {
      await ok('case-1', 6_000);
      await ok('case-1', 6_000);
      return ['case-1', true, 12_000] as const;
    },
    async () => {
      await ok('case-2', 6_000);
      await sleep(WINDOW_MS + 200);
      await ok('case-2', 6_000);
      return ['case-2', false, 12_000] as const;
    },
    async () => {
      for (let i = 0; i < 5; i++) await ok('case-3', 2_000);
      await sleep(WINDOW_MS + 200);
      await ok('case-3', 6_000);
      return ['case-3', false, 16_000] as const;
    },
    async () => {
      for (let i = 0; i < 6; i++) await ok('case-4', 2_000);
      return ['case-4', true, 12_000] as const;
    },
  ];
  await t.test('the four threshold cases', async () => {
    for (const [id, above, balance] of await Promise.all(cases.map((c) => c()))) {
      assert.deepEqual(await check(id), { wallet_id: id, balance, above_threshold: above }, id);
    }
  });

  await t.test('invalid deposits: 400 naming the problem, nothing written', async () => {
    const bad: [unknown, unknown, RegExp][] = [
      [undefined, 1, /wallet_id is required/],
      ['', 1, /wallet_id must not be empty/],
      [7, 1, /wallet_id must be a string/],
      ['x'.repeat(129), 1, /at most 128/],
      ['v', undefined, /amount is required/],
      ['v', '10', /amount must be a number/],
      ['v', 0, /greater than 0/],
      ['v', -5, /greater than 0/],
      ['v', 1.234, /at most 2 decimal places/],
      ['v', 1e-7, /at most 2 decimal places/],
    ];
    for (const [id, amount, message] of bad) {
      const answer = await deposit(id, amount);
      assert.equal(answer.status, 400, JSON.stringify([id, amount]));
      assert.equal(answer.body.code, 400);
      assert.match(answer.body.error, message);
    }
    assert.equal((await check('v')).balance, 0);
  });
}

describe('wallet over HTTP', () => {
  it('embedded broker', { timeout: 120_000 }, (t) => scenarios(t));

  it('Kafka', { timeout: 180_000 }, async (t) => {
    const servers = await kafkaSingle(t);
    if (servers === undefined) return;
    await scenarios(t, servers);
  });

  it('a body that is not JSON, or not an object: 400 in the same shape', async (t) => {
    const { herald } = await bootWallet(t);
    const raw = await fetch(`${herald.url}/api/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"wallet_id": ',
    });
    assert.equal(raw.status, 400);
    assert.equal(((await raw.json()) as { code: number }).code, 400);
    const form = await fetch(`${herald.url}/api/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"wallet_id": "curl", "amount": 3500}',
    });
    assert.equal(form.status, 200, 'curl -d sends JSON as a form: read as JSON');
    const list = await request(`${herald.url}/api/deposit`, 'POST', [1, 2]);
    assert.deepEqual([list.status, list.body.code], [400, 400]);
  });

  it('broker down: 503, never a 200 for an unwritten deposit', async (t) => {
    const { herald, deposit } = await bootWallet(t);
    await herald.broker.stop();
    const answer = await deposit('w', 1);
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 503);
  });
});
