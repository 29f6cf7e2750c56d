import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// Three bundles:
//  - main: Node/Electron main process (ESM-free CommonJS output, deps external)
//  - preload: sandboxed, so it must be a single CommonJS file with everything
//    bundled except `electron` itself
//  - renderer: the React app, loaded from file:// in production
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          // keytar runs in its own process (src-main/secrets/keychain.ts)
          'keytar-worker': resolve(__dirname, 'src-main/secrets/keytar-worker.ts')
        }
      }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-renderer/index.html') }
      }
    }
  }
})
