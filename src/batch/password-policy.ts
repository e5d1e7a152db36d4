import type { BatchProfile } from './batch-profile.js';

/** The hosting panel's default for new mailbox passwords. */
export const DEFAULT_PASSWORD_POLICY = {
  minLength: 12,
  lowerCase: true,
  upperCase: true,
  digitOrSpecial: true,
};

const SPECIAL = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;

/**
 * What a new mailbox password lacks under the policy (a hosting panel's default: 12+
 * characters, a lower-case and an upper-case letter, a digit or a special character), in
 * words that never repeat the password; empty when it passes.
 */
export function passwordProblems(
  password: string,
  policy: NonNullable<BatchProfile['preflight']['passwordPolicy']>,
): string[] {
  const problems: string[] = [];
  if ([...password].length < policy.minLength)
    problems.push(`fewer than ${policy.minLength} characters`);
  if (policy.lowerCase && !/\p{Ll}/u.test(password)) problems.push('no lower-case letter');
  if (policy.upperCase && !/\p{Lu}/u.test(password)) problems.push('no upper-case letter');
  if (policy.digitOrSpecial && !/\d/.test(password) && !SPECIAL.test(password))
    problems.push('no digit or special character');
  return problems;
}
