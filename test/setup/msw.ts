import { afterAll, afterEach, beforeAll } from 'vitest';
import { mswServer } from '../helpers/msw-server.js';

// HTTP only (OAuth2 token endpoints); an unexpected request fails the test.
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mswServer.resetHandlers());
afterAll(() => mswServer.close());
