/** True for addresses only this machine can reach: `localhost`, `::1`, `127.0.0.0/8` (IPv4-mapped `::ffff:127.…` too). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/.test(host);
}
