/**
 * Values in the console decoded with the codec Herald knows for their topic: the wallet's protobuf deposits read as
 * fields in the message browser and on a message's page (in a real browser), binary values as a hex dump, and a
 * value its codec cannot read shown raw with the reason.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/json.ts';
import { hexDump, previewValue, showValue } from '../../src/console/values.ts';
import { walletService } from '../../services/wallet/index.ts';
import { depositCodec } from '../../services/wallet/topics.ts';
import { bootHerald, request } from '../support/boot.ts';
import { browserPage, SHOTS } from '../support/browser.ts';
import { create } from '@bufbuild/protobuf';
import { DepositSchema } from '../../src/gen/herald/wallet/v1/wallet_pb.ts';

describe('console: values', { timeout: 120_000 }, () => {
  it('decodes with a codec, 64-bit integers as text, and shows what it cannot decode raw with the reason', () => {
    const bytes = depositCodec.encode(create(DepositSchema, { walletId: 'w-1', amount: 350_010n }));
    const record = { value: bytes.toString('base64'), encoding: 'base64' as const };
    assert.deepEqual(showValue(record, depositCodec), {
      text: '{\n  "walletId": "w-1",\n  "amount": "350010"\n}',
      format: 'protobuf:herald.wallet.v1.Deposit',
    });
    assert.equal(previewValue(record, depositCodec), '{"walletId":"w-1","amount":"350010"}');
    const notJson = showValue({ value: 'plain words' }, jsonCodec());
    assert.equal(notJson.text, 'plain words');
    assert.match(notJson.format, /^text \(not json: /);
    assert.equal(previewValue({ value: 'x'.repeat(200) }), 'x'.repeat(120));
    assert.equal(
      hexDump(Buffer.from('Herald\u0000\u0001 speaks Kafka!')),
      '00000000  48 65 72 61 6c 64 00 01 20 73 70 65 61 6b 73 20  Herald.. speaks \n00000010  4b 61 66 6b 61 21                                Kafka!',
    );
  });

  it("shows the wallet's protobuf deposits decoded in the message browser", async (t) => {
    const herald = await bootHerald(t, { 'wallet.prefix': 'cv.' }, [walletService]);
    const deposited = await request(`${herald.url}/api/deposit`, 'POST', { wallet_id: 'console-wallet', amount: 35.1 });
    assert.equal(deposited.status, 200);
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;
    await page.goto(`${herald.url}/console/topics/cv.deposit`);
    const row = page.locator('#messages tbody tr', { hasText: 'console-wallet' });
    assert.match((await row.textContent()) ?? '', /\{"walletId":"console-wallet","amount":"3510"\}/);
    await row.locator('a').first().click();
    assert.equal(await page.textContent('#format'), 'protobuf:herald.wallet.v1.Deposit');
    assert.equal(await page.textContent('#value'), '{\n  "walletId": "console-wallet",\n  "amount": "3510"\n}');
    await page.screenshot({ path: path.join(SHOTS, 'protobuf-message.png'), fullPage: true });
  });
});
