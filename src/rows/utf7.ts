/**
 * UTF-7 (RFC 2152), which old mailers still send as a body charset and which TextDecoder does
 * not know: text outside "+...-" is as it is; inside, modified base64 of UTF-16 code units. A
 * "+-" is a plus sign. Never throws: a broken shift sequence is kept as written.
 */
const BASE64_CHAR = /[A-Za-z0-9+/]/;

/** UTF-7 text (read one character per byte) -> the text it encodes. */
export function decodeUtf7(input: string): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const char = input[i]!;
    if (char !== '+') {
      out += char;
      continue;
    }
    let end = i + 1;
    while (end < input.length && BASE64_CHAR.test(input[end]!)) end++;
    const encoded = input.slice(i + 1, end);
    if (encoded === '') {
      // "+-" is "+"; a "+" followed by anything else stands for itself.
      out += '+';
      if (input[end] === '-') end++;
      i = end - 1;
      continue;
    }
    const bytes = Buffer.from(encoded, 'base64');
    for (let b = 0; b + 1 < bytes.length; b += 2)
      out += String.fromCharCode((bytes[b]! << 8) | bytes[b + 1]!);
    // The "-" that ends a shift sequence is absorbed (RFC 2152 rule 2).
    i = input[end] === '-' ? end : end - 1;
  }
  return out;
}
