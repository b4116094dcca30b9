/** The OpenAI-compatible front-end. */
export { openAiRoutes, registerOpenAiRoutes, type OpenAiRoutesOptions } from './routes.js';
export type { ListedLlm, OpenAiInference } from './inference.js';
