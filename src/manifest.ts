/**
 * connector.json as the code sees it: imported, not read from disk, so the package works from
 * any install location and inside a host's bundle (esbuild inlines JSON imports).
 */
import manifest from '../connector.json' with { type: 'json' };

export interface ManifestField {
  name: string;
  secret: boolean;
}

export const MANIFEST: typeof manifest = manifest;

/** The package version; the contract test keeps connector.json's equal to package.json's. */
export const CONNECTOR_VERSION: string = manifest.version;
