import { autocannon, notificationRequest, startHeraldChild } from '/work/main/bench/support/services.ts';
const variants: Record<string, [string, string[]]> = JSON.parse(process.argv[2]!);
let s = 0;
for (const [name, [svc, args]] of Object.entries(variants)) {
  const h = await startHeraldChild(svc, ['--log-level', 'info', ...args], { logs: 'discard' });
  const run = (d: number) => autocannon({ url: `${h.url}/api/v1/produce`, connections: 50, duration: d, requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (q: any) => ({ ...q, body: notificationRequest('transactions', ++s) }) }] });
  await run(3);
  const c0 = h.cpuSeconds();
  const r = await run(8);
  const cpu = h.cpuSeconds() - c0;
  console.log(name, Math.round(r.requests.average), Math.round(cpu / r['2xx'] * 1e6), 'µs');
  await h.stop();
}
