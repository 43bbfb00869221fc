import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// The dev server proxies the API to a local service (DASHBOARD_API, default the port the brief's
// examples use). DASHBOARD_DEV_AUTH="user:application password" makes the proxy add Basic auth
// and answers `session` itself, for a service that has no session routes yet. Neither exists in
// the build: both live only in `vite serve`.
const api = process.env.DASHBOARD_API ?? 'http://127.0.0.1:5057';
const devAuth = process.env.DASHBOARD_DEV_AUTH;

function devSession(credentials: string): Plugin {
  const username = credentials.slice(0, credentials.indexOf(':'));
  const body = JSON.stringify({
    success: true,
    data: {
      user: { id: 1, username, role: 'administrator', capabilities: ['manage_options'] },
      app_password: 'dev',
      nonce: 'dev-nonce',
    },
  });
  const answer = (req: { method?: string }, res: ServerResponse) => {
    res.setHeader('Content-Type', 'application/json; charset=UTF-8');
    res.end(req.method === 'DELETE' ? '{"success": true}' : body);
  };
  return {
    name: 'dashboard-dev-session',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/wp-json/datamachine/v1/session', answer);
    },
    configurePreviewServer(server) {
      server.middlewares.use('/wp-json/datamachine/v1/session', answer);
    },
  };
}

// @wordpress/date (through dataviews) loads moment-timezone, whose main module loads the data
// of every time zone: 716 kB that this page never reads, since it shows times in UTC and leaves
// @wordpress/date on its default UTC setting. Give it an empty zone list instead.
function withoutTimeZoneData(): Plugin {
  const empty = fileURLToPath(new URL('./src/vendor/no-time-zones.json', import.meta.url));
  return {
    name: 'dashboard-without-time-zone-data',
    enforce: 'pre',
    resolveId(source, importer) {
      return source === './data/packed/latest.json' && importer?.includes('moment-timezone')
        ? empty
        : null;
    },
  };
}

export default defineConfig({
  base: '/dashboard/',
  plugins: [react(), withoutTimeZoneData(), ...(devAuth ? [devSession(devAuth)] : [])],
  build: {
    outDir: '../datamachine_jobs/static/dashboard',
    emptyOutDir: true,
    sourcemap: false,
    assetsDir: 'assets',
    // DataViews with @wordpress/components and @wordpress/ui is about 1.2 MB minified (316 kB
    // gzipped) and loads as one chunk beside the entry; there is no smaller piece to split off.
    chunkSizeWarningLimit: 1300,
    // Hashed names only: the service may cache everything under assets/ forever.
    rolldownOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  preview: { host: '127.0.0.1' },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/wp-json': {
        target: api,
        changeOrigin: true,
        headers: devAuth
          ? { Authorization: `Basic ${Buffer.from(devAuth).toString('base64')}` }
          : {},
      },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
