/**
 * Which PluginHandlers the executable serves: the query layer. A static re-export, so the bundler includes it.
 */
export { createHandlers } from '../query/handlers.ts';
