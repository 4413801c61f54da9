/** Folder of the built plugin.json that declares the gpx_rarity executable (dist/datasource/), else dist/. */
export function backendOutDir(): string;
