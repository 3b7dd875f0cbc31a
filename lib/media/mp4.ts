/**
 * Reads what a video is (length, frame size, brands) straight from the MP4 container, since the
 * bundled ffmpeg ships without ffprobe. Only the boxes needed are parsed: ftyp, moov/mvhd and each
 * trak's tkhd and hdlr. A file is read box header by box header, so a moov after a large mdat
 * (no faststart) costs a few small reads, not a read of the whole file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { AppError } from '../errors.js';

export interface Mp4Info {
  /** From mvhd: the movie's duration over its timescale. */
  durationSeconds: number;
  /** Presentation size of the first video track (tkhd), 0 when there is no video. */
  width: number;
  height: number;
  hasVideo: boolean;
  hasAudio: boolean;
  /** Sample-entry four-character codes of the first video and audio tracks (`avc1`, `mp4a` …). */
  videoCodec?: string;
  audioCodec?: string;
  /** mdhd timescale of the first video track: clips that differ here do not stream-copy cleanly. */
  videoTimescale?: number;
  audioSampleRate?: number;
  audioChannels?: number;
  /** The ftyp major brand first, then the compatible brands, without repeats. */
  brands: string[];
}

/** A moov larger than this is not something this service made or downloads; refuse, don't buffer. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = 16;

interface Box {
  type: string;
  /** Where the box starts, relative to its source. */
  start: number;
  /** Where its payload starts (after size, type and any 64-bit size). */
  bodyStart: number;
  /** One past its last byte. */
  end: number;
}

/** Random access to bytes: a Buffer, or a file read on demand. */
interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

/** True when the bytes start with an ftyp box, as every MP4 (and Veo's output) does. */
export function looksLikeMp4(firstBytes: Buffer): boolean {
  if (firstBytes.length < 8) return false;
  const size = firstBytes.readUInt32BE(0);
  // size 1 means a 64-bit size follows; anything else under 8 cannot hold the box's own header.
  return firstBytes.toString('latin1', 4, 8) === 'ftyp' && (size === 1 || size >= 8);
}

/** Parses a file path or an in-memory MP4. Rejects with `not_a_video` when it is not a readable MP4. */
export async function readMp4Info(input: string | Buffer): Promise<Mp4Info> {
  if (Buffer.isBuffer(input)) return parse(bufferSource(input));
  const handle = await open(input, 'r');
  try {
    return await parse(await fileSource(handle));
  } finally {
    await handle.close();
  }
}

function bufferSource(buffer: Buffer): ByteSource {
  return { size: buffer.length, read: async (offset, length) => buffer.subarray(offset, offset + length) };
}

async function fileSource(handle: FileHandle): Promise<ByteSource> {
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return buffer.subarray(0, bytesRead);
    },
  };
}

function notMp4(message: string): AppError {
  return new AppError('not_a_video', message, { retryable: false });
}

async function parse(source: ByteSource): Promise<Mp4Info> {
  const head = await source.read(0, HEADER_BYTES);
  if (!looksLikeMp4(head)) throw notMp4('Not an MP4: the file does not start with an ftyp box');
  const top = await topLevelBoxes(source);
  const ftyp = top.find((b) => b.type === 'ftyp')!;
  const moov = top.find((b) => b.type === 'moov');
  if (!moov) throw notMp4('Not a playable MP4: no moov box (truncated, or still being written)');
  if (moov.end - moov.start > MAX_MOOV_BYTES) throw notMp4('MP4 moov box is implausibly large');
  const brands = readBrands(await source.read(ftyp.bodyStart, ftyp.end - ftyp.bodyStart));
  const moovBytes = await source.read(moov.start, moov.end - moov.start);
  return { ...readMoov(moovBytes), brands };
}

/** Walks the top level by headers only, so mdat's payload is never read. */
async function topLevelBoxes(source: ByteSource): Promise<Box[]> {
  const boxes: Box[] = [];
  let offset = 0;
  while (offset + 8 <= source.size) {
    const header = await source.read(offset, HEADER_BYTES);
    const box = boxAt(header, 0, source.size - offset);
    if (!box) throw notMp4(`Not a valid MP4: broken box header at byte ${offset}`);
    boxes.push({ type: box.type, start: offset, bodyStart: offset + box.bodyStart, end: offset + box.end });
    offset += box.end;
  }
  return boxes;
}

/**
 * Reads the box header at `offset` of `bytes`; `room` is how many bytes the box may span from
 * there. Returns undefined for a header that is cut short or claims more room than there is.
 */
function boxAt(bytes: Buffer, offset: number, room: number): Box | undefined {
  if (bytes.length - offset < 8) return undefined;
  let size = bytes.readUInt32BE(offset);
  const type = bytes.toString('latin1', offset + 4, offset + 8);
  let headerSize = 8;
  if (size === 1) {
    if (bytes.length - offset < 16) return undefined;
    size = Number(bytes.readBigUInt64BE(offset + 8));
    headerSize = 16;
  } else if (size === 0) {
    // "Extends to the end of the file": only legal for the last box.
    size = room;
  }
  if (size < headerSize || size > room) return undefined;
  return { type, start: offset, bodyStart: offset + headerSize, end: offset + size };
}

/** The direct children of a box held in `bytes`, between `from` and `to`. */
function children(bytes: Buffer, from: number, to: number): Box[] {
  const boxes: Box[] = [];
  let offset = from;
  while (offset + 8 <= to) {
    const box = boxAt(bytes, offset, to - offset);
    if (!box) throw notMp4(`Not a valid MP4: broken box inside moov at byte ${offset}`);
    boxes.push(box);
    offset = box.end;
  }
  return boxes;
}

function readBrands(body: Buffer): string[] {
  const brands = [body.toString('latin1', 0, 4)];
  // Skip minor_version (4 bytes) after the major brand.
  for (let i = 8; i + 4 <= body.length; i += 4) brands.push(body.toString('latin1', i, i + 4));
  return [...new Set(brands.filter((b) => b.trim() !== ''))];
}

function readMoov(moov: Buffer): Omit<Mp4Info, 'brands'> {
  const boxes = children(moov, 8 + (moov.readUInt32BE(0) === 1 ? 8 : 0), moov.length);
  const mvhd = boxes.find((b) => b.type === 'mvhd');
  if (!mvhd) throw notMp4('Not a valid MP4: moov has no mvhd');
  const durationSeconds = readMvhdDuration(moov, mvhd);
  const tracks = boxes.filter((b) => b.type === 'trak').map((trak) => readTrack(moov, trak));
  const video = tracks.find((t) => t.handler === 'vide');
  const audio = tracks.find((t) => t.handler === 'soun');
  const info: Omit<Mp4Info, 'brands'> = {
    durationSeconds,
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    hasVideo: video !== undefined,
    hasAudio: audio !== undefined,
  };
  if (video?.codec) info.videoCodec = video.codec;
  if (video?.timescale) info.videoTimescale = video.timescale;
  if (audio?.codec) info.audioCodec = audio.codec;
  if (audio?.sampleRate) info.audioSampleRate = audio.sampleRate;
  if (audio?.channels) info.audioChannels = audio.channels;
  return info;
}

/** mvhd version 0 has 32-bit times and duration, version 1 has 64-bit ones; the timescale is 32-bit in both. */
function readMvhdDuration(bytes: Buffer, mvhd: Box): number {
  const p = mvhd.bodyStart;
  const version = bytes.readUInt8(p);
  const need = version === 1 ? 32 : 20;
  if (mvhd.end - p < need) throw notMp4('Not a valid MP4: mvhd is cut short');
  const timescale = version === 1 ? bytes.readUInt32BE(p + 20) : bytes.readUInt32BE(p + 12);
  const duration = version === 1 ? Number(bytes.readBigUInt64BE(p + 24)) : bytes.readUInt32BE(p + 16);
  if (timescale === 0) throw notMp4('Not a valid MP4: mvhd timescale is 0');
  return duration / timescale;
}

interface Track {
  handler: string;
  width: number;
  height: number;
  codec?: string;
  timescale?: number;
  sampleRate?: number;
  channels?: number;
}

function readTrack(bytes: Buffer, trak: Box): Track {
  const boxes = children(bytes, trak.bodyStart, trak.end);
  const tkhd = boxes.find((b) => b.type === 'tkhd');
  const mdia = boxes.find((b) => b.type === 'mdia');
  const mdiaBoxes = mdia ? children(bytes, mdia.bodyStart, mdia.end) : [];
  const hdlr = mdiaBoxes.find((b) => b.type === 'hdlr');
  // hdlr: version+flags (4), pre_defined (4), then the four-letter handler type.
  const handler = hdlr && hdlr.end - hdlr.bodyStart >= 12 ? bytes.toString('latin1', hdlr.bodyStart + 8, hdlr.bodyStart + 12) : '';
  const track: Track = { handler, ...(tkhd ? readTkhdSize(bytes, tkhd) : { width: 0, height: 0 }) };
  const mdhd = mdiaBoxes.find((b) => b.type === 'mdhd');
  if (mdhd && mdhd.end - mdhd.bodyStart >= 24) {
    // mdhd: version+flags, then times (v0: 2×4, v1: 2×8), then the 32-bit timescale.
    const at = mdhd.bodyStart + 4 + (bytes.readUInt8(mdhd.bodyStart) === 1 ? 16 : 8);
    track.timescale = bytes.readUInt32BE(at);
  }
  Object.assign(track, readSampleEntry(bytes, mdiaBoxes, handler));
  return track;
}

/** The first sample entry of mdia/minf/stbl/stsd: the codec, and for audio its rate and channels. */
function readSampleEntry(bytes: Buffer, mdiaBoxes: Box[], handler: string): Partial<Track> {
  const descend = (boxes: Box[], type: string) => {
    const box = boxes.find((b) => b.type === type);
    return box ? children(bytes, box.bodyStart, box.end) : [];
  };
  const stsd = descend(descend(mdiaBoxes, 'minf'), 'stbl').find((b) => b.type === 'stsd');
  // stsd: version+flags (4), entry count (4), then the entries as boxes.
  if (!stsd || stsd.end - stsd.bodyStart < 16) return {};
  const entry = boxAt(bytes, stsd.bodyStart + 8, stsd.end - stsd.bodyStart - 8);
  if (!entry) return {};
  const out: Partial<Track> = { codec: entry.type };
  // AudioSampleEntry: 6 reserved + 2 data ref, 8 reserved, channels (2), sample size (2), 4 more, rate 16.16.
  if (handler === 'soun' && entry.end - entry.bodyStart >= 28) {
    out.channels = bytes.readUInt16BE(entry.bodyStart + 16);
    out.sampleRate = bytes.readUInt32BE(entry.bodyStart + 24) / 65536;
  }
  return out;
}

/**
 * tkhd ends with width and height as 16.16 fixed point. They sit after the version-dependent
 * times (v0: 3×4 + 4 + 4 bytes, v1: 2×8 + 4 + 4 + 8), 8 reserved, 4 of layer/group, 4 of
 * volume/reserved and the 36-byte matrix.
 */
function readTkhdSize(bytes: Buffer, tkhd: Box): { width: number; height: number } {
  const p = tkhd.bodyStart;
  const version = bytes.readUInt8(p);
  const sizeAt = p + 4 + (version === 1 ? 32 : 20) + 8 + 4 + 4 + 36;
  if (sizeAt + 8 > tkhd.end) throw notMp4('Not a valid MP4: tkhd is cut short');
  return { width: bytes.readUInt32BE(sizeAt) / 65536, height: bytes.readUInt32BE(sizeAt + 4) / 65536 };
}
