// A tar.gz of plain files, built in the browser for the input archive: ustar headers written
// here, gzip by the browser's CompressionStream. Names are base names (no directories).

const encoder = new TextEncoder();

function header(name, size, mtime) {
  const block = new Uint8Array(512);
  const put = (text, offset, length) => block.set(encoder.encode(text).slice(0, length), offset);
  const octal = (value, length) => value.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return block;
}

/** `files`: File objects. Answers a Blob of application/gzip. */
export async function tarGz(files) {
  const parts = [];
  const now = Math.floor(Date.now() / 1000);
  for (const file of files) {
    const name = file.name.split(/[\\/]/).pop();
    if (!name || encoder.encode(name).length > 100) throw new Error(`file name too long for the archive (100 bytes): ${name}`);
    const data = new Uint8Array(await file.arrayBuffer());
    parts.push(header(name, data.length, now), data);
    const padding = (512 - (data.length % 512)) % 512;
    if (padding) parts.push(new Uint8Array(padding));
  }
  parts.push(new Uint8Array(1024));
  const stream = new Blob(parts).stream().pipeThrough(new CompressionStream('gzip'));
  return new Blob([await new Response(stream).arrayBuffer()], { type: 'application/gzip' });
}
