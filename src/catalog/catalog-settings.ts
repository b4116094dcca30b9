/**
 * Catalog and download settings from the environment, with huggingface_hub's variable names
 * where they exist so existing setups carry over.
 */
import { DEFAULT_HUB_ENDPOINT } from './hub/hub-client.js';
import { defaultCacheDir } from './hub/hub-cache.js';

/** Settings every catalog command and `serve MODEL` share. */
export interface CatalogSettings {
  /** INFERD_CACHE_DIR, else `~/.cache/inferd`. */
  readonly cacheDir: string;
  /** HF_ENDPOINT, else https://huggingface.co. */
  readonly endpoint: string;
  /** HF_TOKEN (HUGGING_FACE_HUB_TOKEN as a fallback). */
  readonly token?: string;
  /** HF_HUB_OFFLINE or INFERD_OFFLINE set to 1/true/yes/on. */
  readonly offline: boolean;
  /** INFERD_MODEL_PROFILE. */
  readonly profile?: string;
  /** INFERD_TAGS_SELECTOR. */
  readonly tagsSelector?: string;
  /** INFERD_CATALOG: an extra catalog file. */
  readonly catalogFile?: string;
}

/** True for 1, true, yes, on (any case). */
export function envFlag(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test(value?.trim() ?? '');
}

/** Reads the settings from `env`. */
export function catalogSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CatalogSettings {
  return {
    cacheDir: defaultCacheDir(env),
    endpoint: env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT,
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
    offline: envFlag(env.HF_HUB_OFFLINE) || envFlag(env.INFERD_OFFLINE),
    profile: env.INFERD_MODEL_PROFILE || undefined,
    tagsSelector: env.INFERD_TAGS_SELECTOR || undefined,
    catalogFile: env.INFERD_CATALOG || undefined,
  };
}
