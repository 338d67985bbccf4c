/** The `uid` cookie the page sets (5 characters, 30 days, as the original) and reads back. */
export const UID_COOKIE = 'uid';
const UID = /^[A-Za-z0-9]{1,64}$/;

/** The user id of a `Cookie` header, or `''` when it has none (or a malformed one: never stored as a user). */
export function uidOf(cookie: string | undefined): string {
  if (cookie === undefined) return '';
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === UID_COOKIE) {
      const value = rest.join('=');
      return UID.test(value) ? value : '';
    }
  }
  return '';
}
