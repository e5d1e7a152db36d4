import type { Address } from './row.js';

interface RawAddress {
  name?: string | undefined;
  address?: string | undefined;
}

/**
 * ENVELOPE address lists -> {name, address}. Group syntax (RFC 5322 section 3.4, e.g.
 * "undisclosed-recipients:;") arrives as entries without a domain; they are kept with the
 * group name and address null, so a row shows that the field existed.
 */
export function toAddresses(list: RawAddress[] | undefined): Address[] {
  const found: Address[] = [];
  for (const entry of list ?? []) {
    // A server's placeholder (MISSING_DOMAIN, ...) is never an address: the mailbox part, if
    // real, stays as a name; an element with neither is dropped.
    const [mailbox = '', domain = ''] = (entry.address ?? '').split(/@(?=[^@]*$)/);
    const real = (part: string): boolean => part !== '' && !PLACEHOLDER.test(part);
    const address =
      entry.address && entry.address.includes('@') && real(mailbox) && real(domain)
        ? entry.address
        : null;
    const name = entry.name ? entry.name : !address && real(mailbox) ? mailbox : null;
    if (name !== null || address !== null) found.push({ name, address });
  }
  return found;
}

const PLACEHOLDER = /^(MISSING_MAILBOX|MISSING_DOMAIN|SYNTAX_ERROR|\.MISSING-HOST-NAME\.)$/;
