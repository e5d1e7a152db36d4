/**
 * Single imports in the console: the list (shown with the batches), a new import from saved
 * connections, start and stop, each run's result.
 */
import { Hono } from 'hono';
import { jsonBody, notFound } from './console-errors.js';
import type { ConsoleImports } from './console-imports.js';
import { definitionOf } from './import-definition.js';

export function importRoutes(imports: ConsoleImports): Hono {
  const app = new Hono();

  app.get('/', (c) => c.json(imports.names().map((name) => imports.status(name))));

  app.post('/', async (c) => {
    const definition = definitionOf(await jsonBody(c));
    imports.create(definition);
    return c.json({ ok: true, name: definition.name });
  });

  app.get('/:name', (c) => c.json(imports.status(c.req.param('name'))));

  app.post('/:name/start', (c) => {
    imports.start(c.req.param('name'));
    return c.json({ ok: true });
  });

  app.post('/:name/stop', async (c) => {
    return c.json({ ok: true, stopped: await imports.stop(c.req.param('name')) });
  });

  app.get('/:name/runs/:run', (c) => {
    const result = imports.result(c.req.param('name'), Number(c.req.param('run')));
    if (!result) throw notFound('result for that run');
    return c.json(result);
  });

  app.delete('/:name', (c) => {
    imports.remove(c.req.param('name'));
    return c.json({ ok: true });
  });

  return app;
}
