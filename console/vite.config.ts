import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build must be byte-for-byte reproducible (scripts/check-dist.sh diffs a fresh build
// with the committed dist): no timestamps, hashed file names from content only.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: process.env.JINGYUN_CONSOLE_OUT || 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        manualChunks: {
          antd: ['antd', 'dayjs'],
          echarts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'],
        },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/v1': 'http://127.0.0.1:8080' },
  },
});
