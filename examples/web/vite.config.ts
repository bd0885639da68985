import { defineConfig } from 'vite';

// Cross-origin isolation lets ONNX Runtime Web use WebAssembly threads (SharedArrayBuffer); every
// resource is served from this origin, so require-corp costs nothing.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  resolve: { conditions: ['@voxnas/source'] },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096, assetsInlineLimit: 0 },
});
