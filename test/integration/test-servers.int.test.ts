import { describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/dovecot.js';

// The private servers' ports: a Dovecot once got one port for two listeners and CI went red.
describe('ports for the private test servers', () => {
  it('are distinct within one request, however many are asked for', async () => {
    for (let round = 0; round < 20; round++) {
      const ports = await freePorts(16);
      expect(new Set(ports).size).toBe(16);
      for (const port of ports) expect(port).toBeGreaterThan(0);
    }
  });
});
