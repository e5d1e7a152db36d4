/**
 * Which server a host name and port are: its address as the resolver gives it, so that one
 * server under two names (`localhost` and `127.0.0.1`, a CNAME and its target) is one server
 * for connection caps, locks and duplicate mailboxes (issue 24). A name that does not resolve
 * stays itself: connecting will say DNS_NOT_FOUND where it belongs.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** `address:port` for a host and port (an IPv6 address in brackets); lower case. */
export async function serverAddress(host: string, port: number): Promise<string> {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  let address = name;
  if (isIP(name) === 0) {
    try {
      // One answer for one set of addresses, whatever order the resolver gives them in:
      // `localhost` is 127.0.0.1 whether ::1 comes first or not.
      const all = (await lookup(name, { all: true })).map((entry) => entry.address);
      const ipv4 = all.filter((candidate) => isIP(candidate) === 4).sort();
      address = ipv4[0] ?? all.sort()[0] ?? name;
    } catch {
      address = name;
    }
  }
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
