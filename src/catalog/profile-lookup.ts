/**
 * Finds catalog profiles by id, id prefix or name, with or without the model's name, the way
 * NIM's `download-to-cache --profiles` and `create-model-store --profile` take bare profile ids:
 * an id covers the model name, so it names one profile across the whole catalog.
 */
import { CatalogError } from './catalog-errors.js';
import type { Catalog, CatalogModel, ModelProfile } from './catalog-types.js';
import { findModel } from './load-catalog.js';
import { findProfile, identifyProfile } from './profile-id.js';

/** A profile with the model it belongs to. */
export interface FoundProfile {
  readonly model: CatalogModel;
  readonly profile: ModelProfile;
}

/** The model's profiles with ids and names. */
export function modelProfiles(model: CatalogModel): ModelProfile[] {
  return model.profiles.map((p) => identifyProfile(model.name, p));
}

/** The catalog model `name`, or a CatalogError listing the known ones. */
export function requireModel(catalog: Catalog, name: string): CatalogModel {
  const model = findModel(catalog, name);
  if (!model) throw new CatalogError('INVALID_REFERENCE', `'${name}' is not a catalog model; catalog models: ${catalog.models.map((m) => m.name).join(', ')}`);
  return model;
}

/**
 * Finds profile `key` of model `modelName`, or, without a model name, across every model (a
 * name or prefix that fits profiles of two models is refused as ambiguous).
 */
export function lookupProfile(catalog: Catalog, key: string, modelName?: string): FoundProfile {
  if (modelName !== undefined) {
    const model = requireModel(catalog, modelName);
    const profiles = modelProfiles(model);
    const profile = findProfile(profiles, key);
    if (!profile) throw new CatalogError('INVALID_REFERENCE', `${model.name} has no profile '${key}'; its profiles: ${profiles.map((p) => `${p.name} (${p.id.slice(0, 12)})`).join(', ')}`);
    return { model, profile };
  }
  const found = catalog.models.flatMap((model) => {
    const profile = findProfile(modelProfiles(model), key);
    return profile ? [{ model, profile }] : [];
  });
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new CatalogError('INVALID_REFERENCE', `no catalog model has a profile '${key}'; name the model, or pass a profile id from 'inferd list-model-profiles MODEL'`);
  throw new CatalogError('INVALID_REFERENCE', `profile '${key}' is ambiguous (models ${found.map((f) => f.model.name).join(', ')}); name the model or pass the profile id`);
}
