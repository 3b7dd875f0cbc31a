import { describe, expect, it } from 'vitest';
import {
  decodeUploadMetadata,
  encodeUploadMetadata,
  parseSizeLimit,
  RESUMABLE_THRESHOLD_BYTES,
  resumableMetadata,
  shouldUploadResumably,
  TUS_CHUNK_BYTES,
} from './resumable.js';

describe('resumable upload rules', () => {
  it('takes the resumable path above 6 MB and when the length is unknown; 6 MB and less stay standard', () => {
    expect(RESUMABLE_THRESHOLD_BYTES).toBe(6 * 1024 * 1024);
    expect(TUS_CHUNK_BYTES).toBe(6 * 1024 * 1024);
    expect(shouldUploadResumably(undefined)).toBe(true);
    expect(shouldUploadResumably(RESUMABLE_THRESHOLD_BYTES + 1)).toBe(true);
    expect(shouldUploadResumably(200 * 1024 * 1024)).toBe(true);
    expect(shouldUploadResumably(RESUMABLE_THRESHOLD_BYTES)).toBe(false);
    expect(shouldUploadResumably(0)).toBe(false);
  });

  it('sends the metadata Supabase reads, cacheControl only when given', () => {
    expect(resumableMetadata({ bucketName: 'b', objectName: 'jobs/j/final.mp4', contentType: 'video/mp4' })).toEqual({
      bucketName: 'b',
      objectName: 'jobs/j/final.mp4',
      contentType: 'video/mp4',
    });
    expect(resumableMetadata({ bucketName: 'b', objectName: 'o', contentType: 'video/mp4', cacheControl: 3600 }).cacheControl).toBe('3600');
  });

  it('encodes Upload-Metadata as base64 pairs and decodes it back', () => {
    const metadata = { bucketName: 'explainer-videos', objectName: 'jobs/j1/scène 1.mp4', contentType: 'video/mp4' };
    const header = encodeUploadMetadata(metadata);
    expect(header).toBe(`bucketName ${Buffer.from('explainer-videos').toString('base64')},objectName ${Buffer.from('jobs/j1/scène 1.mp4').toString('base64')},contentType dmlkZW8vbXA0`);
    expect(decodeUploadMetadata(header)).toEqual(metadata);
  });

  it('refuses Upload-Metadata as tus-node-server does: a duplicate key, three parts, a non-base64 value; a lone key is empty', () => {
    expect(decodeUploadMetadata('a YQ==,a Yg==')).toBeUndefined();
    expect(decodeUploadMetadata('a YQ== x')).toBeUndefined();
    expect(decodeUploadMetadata('a not*base64')).toBeUndefined();
    expect(decodeUploadMetadata('flag,a YQ==')).toEqual({ flag: '', a: 'a' });
  });

  it('reads a bucket size limit as Supabase writes it', () => {
    expect(parseSizeLimit('512MiB')).toBe(512 * 1024 * 1024);
    expect(parseSizeLimit('50MB')).toBe(50_000_000);
    expect(parseSizeLimit(1024)).toBe(1024);
    expect(parseSizeLimit('2 GiB')).toBe(2 * 1024 ** 3);
    expect(parseSizeLimit(null)).toBeUndefined();
    expect(parseSizeLimit('lots')).toBeUndefined();
  });
});
