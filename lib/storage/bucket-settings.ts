/**
 * The settings of the bucket this service stores into. supabase/config.toml declares the same for
 * local Supabase, but it is not deployed: this constant is the source, and a bucket the first
 * upload has to create gets these (tests/storage.test.ts checks config.toml agrees).
 */
export const BUCKET_SETTINGS = {
  /** As Supabase writes sizes: storage-js passes the string through to the server. */
  fileSizeLimit: '512MiB',
  /** Clips and cuts, posters and stills, and the JSON manifests of cuts and variations. */
  allowedMimeTypes: ['video/mp4', 'image/jpeg', 'image/png', 'image/webp', 'application/json'],
} as const;
