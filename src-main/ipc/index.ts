export { createRegistry, type Registry, type Handler, type HandlerMap, type InvokeMeta } from './registry'
export { handlers } from './handlers'
