/**
 * What makes the packages install as users install them (issue 26): the Node-RED package
 * depends on the connector by a version range (a `file:` path broke installs from tarballs),
 * and the Airbyte image's version label is the version the image installs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string): string =>
  readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const root = JSON.parse(read('package.json')) as { version: string };

describe('the packages as users install them', () => {
  it('the Node-RED package depends on the connector by a range its version satisfies', () => {
    const nodeRed = JSON.parse(read('packages/node-red-contrib-imap-connector/package.json')) as {
      version: string;
      dependencies: Record<string, string>;
    };
    const range = nodeRed.dependencies['imap-connector'];
    expect(range).toBe(`^${root.version}`);
    expect(nodeRed.version).toBe(root.version);
  });

  it("the Airbyte image's version label comes from its build argument", () => {
    const dockerfile = read('packages/airbyte-source/Dockerfile');
    expect(dockerfile).toContain(`ARG IMAP_CONNECTOR_VERSION=${root.version}\n`);
    expect(dockerfile).toMatch(/^LABEL io\.airbyte\.version="\$\{IMAP_CONNECTOR_VERSION\}"$/m);
    expect(dockerfile).not.toMatch(/io\.airbyte\.version="\d/);
  });
});
