/**
 * Which PluginHandlers the executable serves. The query layer replaces the placeholder by changing this one
 * export to: `export { createHandlers } from '../query/handlers.ts';`
 * (a static re-export, so the bundler includes it in the compiled executable).
 */
export { createPlaceholderHandlers as createHandlers } from './placeholderHandlers.ts';
