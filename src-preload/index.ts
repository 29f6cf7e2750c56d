import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { buildApi } from './api'

// The renderer gets named functions only; ipcRenderer itself never crosses.
const api = buildApi(
  (channel, input) => ipcRenderer.invoke(channel, input),
  (event, listener) => {
    const wrapped = (_e: IpcRendererEvent, payload: unknown): void => listener(payload)
    ipcRenderer.on(event, wrapped)
    return () => {
      ipcRenderer.removeListener(event, wrapped)
    }
  }
)

contextBridge.exposeInMainWorld('nchat', api)
