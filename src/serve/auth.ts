/**
 * The server's optional API key (`--api-key`). API clients send it as a bearer token. A browser cannot add a header
 * to a page it navigates to, so the dashboard is opened once as `/?key=KEY`, which sets a cookie holding a keyed
 * hash of the key (never the key itself), HttpOnly and SameSite=Strict, so neither the page's script nor another
 * site's requests carry it. Comparisons take the same time whatever the input.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const COOKIE = 'toolken_dashboard';

const digest = (text: string): Buffer => createHmac('sha256', 'toolken dashboard session').update(text).digest();

function sameText(given: string, expected: string): boolean {
  // Hashing first makes both sides the same length, so the comparison reveals nothing about the key's length either.
  return timingSafeEqual(digest(given), digest(expected));
}

export class ApiKey {
  private readonly cookieValue: string;

  constructor(private readonly key: string) {
    this.cookieValue = digest(key).toString('hex');
  }

  /** `Authorization: Bearer <key>`. */
  bearer(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    return header.startsWith('Bearer ') && sameText(header.slice('Bearer '.length), this.key);
  }

  /** A key given in the page's address (`?key=`). */
  matches(given: string): boolean {
    return sameText(given, this.key);
  }

  /** The bearer token, or the cookie that opening `/?key=KEY` set. */
  dashboard(req: IncomingMessage): boolean {
    if (this.bearer(req)) return true;
    const cookie = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
    return cookie !== undefined && sameText(cookie.slice(COOKIE.length + 1), this.cookieValue);
  }

  /** The Set-Cookie header that lets this browser back in. */
  setCookie(): string {
    return `${COOKIE}=${this.cookieValue}; Path=/; HttpOnly; SameSite=Strict`;
  }
}
