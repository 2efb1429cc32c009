/**
 * Regenerates src/onnx/schema.ts, the protobufjs JSON descriptor of ONNX's official schema, from
 * the vendored src/onnx/onnx.proto (see src/onnx/README.md). The exporter loads the descriptor
 * with protobufjs's light build, which has no .proto parser; this script uses the full build.
 *
 *   npx tsx scripts/onnx-schema.ts           # rewrite src/onnx/schema.ts
 *   npx tsx scripts/onnx-schema.ts --check   # exit 1 when it is out of date
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/onnx');

/** The text of schema.ts for the given onnx.proto source. */
export function schemaModule(protoSource: string): string {
  const { root } = protobuf.parse(protoSource, { keepCase: true });
  const json = JSON.stringify(root.toJSON(), null, 2);
  return `/*! ONNX's onnx.proto (ONNX 1.12.0, IR version 8), https://github.com/onnx/onnx
 * SPDX-License-Identifier: Apache-2.0 (text: src/onnx/onnx.proto.LICENSE in the fer-gpu repository).
 * Converted to a protobufjs JSON descriptor by scripts/onnx-schema.ts: do not edit. Over 400 lines on purpose: generated data. */
import type { INamespace } from 'protobufjs/light.js';

/** protobufjs descriptor of package \`onnx\` (field names as in onnx.proto). */
export const ONNX_SCHEMA: INamespace = ${json};
`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = schemaModule(fs.readFileSync(path.join(dir, 'onnx.proto'), 'utf8'));
  const out = path.join(dir, 'schema.ts');
  if (process.argv.includes('--check')) {
    const same = fs.existsSync(out) && fs.readFileSync(out, 'utf8') === text;
    console.log(same ? `${out} is up to date` : `${out} is out of date: run npx tsx scripts/onnx-schema.ts`);
    process.exitCode = same ? 0 : 1;
  } else {
    fs.writeFileSync(out, text);
    console.log(`wrote ${out}`);
  }
}
