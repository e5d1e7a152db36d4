/**
 * The one display rule of every form (issue 25: four copies had three meanings), against the
 * manifest's own conditions: the login method decides which secrets a form asks for.
 */
import { describe, expect, it } from 'vitest';
import { CONNECTION_FIELDS } from '../../../src/adapters/host-fields.js';
import { isShown } from '../../../src/config/display-rule.js';

const field = (name: string) => CONNECTION_FIELDS.find((f) => f.name === name)!;
const shownNames = (values: Record<string, unknown>): string[] =>
  ['password', 'authorizationIdentity', 'oauth2AccessToken', 'oauth2TokenUrl', 'username'].filter(
    (name) => isShown(field(name), values, CONNECTION_FIELDS),
  );

describe('isShown', () => {
  it.each([
    ['password', ['password', 'username']],
    ['masterUser', ['password', 'authorizationIdentity', 'username']],
    ['oauth2', ['oauth2AccessToken', 'oauth2TokenUrl', 'username']],
  ])('shows for authMethod %s exactly its fields', (authMethod, names) => {
    expect(shownNames({ authMethod })).toEqual(names);
  });

  it("takes a missing or empty value as the field's default (password), never as 'show everything'", () => {
    expect(field('authMethod').default).toBe('password');
    expect(shownNames({})).toEqual(['password', 'username']);
    expect(shownNames({ authMethod: '' })).toEqual(['password', 'username']);
    expect(shownNames({ authMethod: null })).toEqual(['password', 'username']);
  });

  it('shows a field without conditions whatever the values', () => {
    expect(isShown({ name: 'x' }, {}, [])).toBe(true);
  });

  it('hides a field whose condition names a field without a value or default', () => {
    expect(isShown({ name: 'x', displayOptions: { show: { y: ['a'] } } }, {}, [])).toBe(false);
  });
});
