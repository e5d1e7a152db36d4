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
  return (list ?? []).map((entry) => {
    const address = entry.address && entry.address.includes('@') ? entry.address : null;
    const name = entry.name ? entry.name : !address && entry.address ? entry.address : null;
    return { name, address };
  });
}
