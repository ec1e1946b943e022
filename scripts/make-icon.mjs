// Draws the extension icon (media/icon.png, 128x128): a Lipschitz cone (two lines bounding a curve) on a dark
// tile. Plain zlib + CRC, so no image library is needed; run again only if the design changes.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 128;
const px = new Uint8Array(N * N * 4);
function set(x, y, [r, g, b, a = 255]) {
  if (x < 0 || y < 0 || x >= N || y >= N) return;
  const i = (y * N + x) * 4;
  const t = a / 255;
  px[i] = Math.round(px[i] * (1 - t) + r * t);
  px[i + 1] = Math.round(px[i + 1] * (1 - t) + g * t);
  px[i + 2] = Math.round(px[i + 2] * (1 - t) + b * t);
  px[i + 3] = Math.max(px[i + 3], a);
}
function disc(cx, cy, rad, color) {
  for (let y = Math.floor(cy - rad - 1); y <= cy + rad + 1; y++)
    for (let x = Math.floor(cx - rad - 1); x <= cx + rad + 1; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      if (d <= rad + 0.5) set(x, y, [...color, Math.round(255 * Math.min(1, rad + 0.5 - d))]);
    }
}
function line(x0, y0, x1, y1, w, color) {
  const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2);
  for (let s = 0; s <= steps; s++) disc(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, w, color);
}
// Rounded dark tile.
for (let y = 0; y < N; y++)
  for (let x = 0; x < N; x++) {
    const r = 22;
    const dx = Math.max(r - x, x - (N - 1 - r), 0);
    const dy = Math.max(r - y, y - (N - 1 - r), 0);
    if (Math.hypot(dx, dy) <= r) set(x, y, [30, 36, 52]);
  }
const cx = 64,
  cy = 64;
// The cone |f(x) - f(x0)| <= L |x - x0|, in blue.
line(18, cy + 34, 110, cy - 34, 2.2, [88, 166, 255]);
line(18, cy - 34, 110, cy + 34, 2.2, [88, 166, 255]);
// A function staying inside the cone, in orange.
let prev;
for (let x = 14; x <= 114; x++) {
  const t = (x - cx) / 50;
  const y = cy - 26 * Math.tanh(1.6 * t) + 6 * Math.sin(5 * t) * Math.abs(t);
  if (prev) line(prev[0], prev[1], x, y, 2.6, [255, 166, 77]);
  prev = [x, y];
}
disc(cx, cy, 5, [255, 255, 255]);

function crc32(buf) {
  let c,
    crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0; // filter: none
  Buffer.from(px.buffer, y * N * 4, N * 4).copy(raw, y * (N * 4 + 1) + 1);
}
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync(new URL('../media/', import.meta.url), { recursive: true });
writeFileSync(new URL('../media/icon.png', import.meta.url), png);
console.log(`media/icon.png: ${png.length} bytes`);
