/**
 * Vertex AI as the service supports it (a project, a regional location, a service account), for
 * tests that drive the real @google/genai and google-auth-library against the Veo wire double.
 * Express mode (an API key on Vertex) is refused by lib/config.ts, so this is the only Vertex setup.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { VeoWire } from '../doubles/veo-wire.js';

export const VERTEX_PROJECT = 'demo-project';
export const VERTEX_LOCATION = 'us-central1';

let serviceAccount: string | undefined;
/** A service-account key with a real RSA key, so google-auth-library signs a real JWT grant. */
function serviceAccountJson(): string {
  serviceAccount ??= JSON.stringify({
    type: 'service_account',
    project_id: VERTEX_PROJECT,
    client_email: `veo@${VERTEX_PROJECT}.iam.gserviceaccount.com`,
    private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
  });
  return serviceAccount;
}

/** The environment of a Vertex deployment with a service account (no API key). */
export function vertexEnv(): Record<string, string> {
  return {
    GOOGLE_GENAI_USE_VERTEXAI: 'true',
    GOOGLE_CLOUD_PROJECT: VERTEX_PROJECT,
    GOOGLE_CLOUD_LOCATION: VERTEX_LOCATION,
    GOOGLE_APPLICATION_CREDENTIALS_JSON: serviceAccountJson(),
  };
}

/** Sends Google's OAuth token exchange to the double; everything else goes out unchanged. */
export function fetchVia(wire: VeoWire): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return fetch(url.startsWith('https://oauth2.googleapis.com/token') ? `${wire.url}/token` : input, init);
  };
}
