// Placeholder entry until the relay lands (issue 5): serves /health so that the README's
// start command is true at every commit.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.env.RELAY_PORT ?? 8787);
const host = process.env.RELAY_HOST ?? '127.0.0.1';
const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
serve({ fetch: app.fetch, port, hostname: host }, (info) => {
  console.log(`relay (placeholder) listening on http://${host}:${info.port}`);
});
