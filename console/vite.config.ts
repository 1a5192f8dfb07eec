import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * `npm run build -w console` writes `console/dist`, which the control plane serves.
 * `npm run dev -w console` serves the console with hot reload and forwards the API to a running
 * control plane (`npm start`), at RC_API_URL (default http://127.0.0.1:3000).
 */
const api = process.env.RC_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // One graph library and React make a chunk above the default warning limit; that is expected.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/trpc': api, '/healthz': api, '/ofrep': api },
  },
});
