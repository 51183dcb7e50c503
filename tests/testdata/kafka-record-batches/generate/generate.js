#!/usr/bin/env node
// Regenerates the Kafka RecordBatch v2 vectors in tests/testdata/kafka-record-batches from their JSON
// descriptions, with kafkajs 2.2.4's own encoder modules (RecordBatch "v0" = magic 2, Record v0,
// Header v0, CRC32C, gzip codec) and @bokuweb/zstd-wasm 0.0.27 plugged in as codec 4 (zstd, level 3).
// The segment's .index/.timeindex are not from kafkajs (it has no storage code): they are computed
// here to Kafka's LogSegment rules with index.interval.bytes = 0 (see ../README.md).
//
// Usage (Node 20, from this folder, after `npm ci`):
//   node generate.js [OUTPUT_DIR]            write every .bin and segment-3-batches.{log,index,timeindex}
//                                            to OUTPUT_DIR (default: a new temporary directory)
//   node generate.js --check [OUTPUT_DIR]    also compare each regenerated file byte for byte with the
//                                            committed one, decode every committed .bin with kafkajs's
//                                            decoder and compare it with its JSON; exit code 1 on failure
//
// Uncompressed vectors must be byte-identical. Compressed ones (gzip-50, zstd-50) may legitimately
// differ, since compressed bytes depend on the compressor and its version; for them the check is that
// kafkajs decodes the committed .bin to the JSON's records and that the decompressed block equals
// kafkajs's encoding of those records.
'use strict'

const fs = require('fs')
const os = require('os')
const path = require('path')

const Long = require('kafkajs/src/utils/long')
const Encoder = require('kafkajs/src/protocol/encoder')
const Decoder = require('kafkajs/src/protocol/decoder')
const { RecordBatch, MAGIC_BYTE } = require('kafkajs/src/protocol/recordBatch/v0')
const Record = require('kafkajs/src/protocol/recordBatch/record/v0')
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder')
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C')
const {
  Types: Compression,
  Codecs,
  lookupCodec,
} = require('kafkajs/src/protocol/message/compression')
const zstd = require('@bokuweb/zstd-wasm')

const VECTORS_DIR = path.resolve(__dirname, '..')
const SEGMENT = 'segment-3-batches'
const ZSTD_LEVEL = 3
const INDEX_INTERVAL_BYTES = 0

// ---------------------------------------------------------------------------------------------
// kafkajs ships no zstd codec (Codecs[4] throws KafkaJSNotImplemented): plug the reference libzstd
// compiled to WebAssembly in, exactly as a kafkajs user would with a third-party codec.
Codecs[Compression.ZSTD] = () => ({
  async compress(encoder) {
    return Buffer.from(zstd.compress(encoder.buffer, ZSTD_LEVEL))
  },
  async decompress(buffer) {
    return Buffer.from(zstd.decompress(buffer))
  },
})

// ---------------------------------------------------------------------------------------------
// JSON -> kafkajs inputs

const b64 = value => (value === null || value === undefined ? null : Buffer.from(value, 'base64'))

// kafkajs's Record takes headers as an object { key: value | [values] } and writes them in
// Object.keys order, a repeated key's values one after another. That can express the JSON's wire
// order only when a repeated key's entries are adjacent and no key is an integer-like string (those
// come first in Object.keys order); anything else is refused rather than silently reordered.
const headersObject = headers => {
  const object = {}
  const order = []
  for (const { key, valueBase64 } of headers) {
    const value = b64(valueBase64)
    if (!(key in object)) {
      object[key] = value
      order.push(key)
    } else if (order[order.length - 1] !== key) {
      throw new Error(`header key ${JSON.stringify(key)} repeats non-adjacently: kafkajs cannot write that order`)
    } else {
      object[key] = Array.isArray(object[key]) ? object[key].concat([value]) : [object[key], value]
    }
  }
  const flattened = Object.keys(object).flatMap(k => (Array.isArray(object[k]) ? object[k].map(() => k) : [k]))
  if (JSON.stringify(flattened) !== JSON.stringify(headers.map(h => h.key))) {
    throw new Error(`kafkajs would reorder headers ${JSON.stringify(headers.map(h => h.key))}`)
  }
  return object
}

// kafkajs 2.2.4's Record encoder measures every header value with Buffer.byteLength before it checks
// for null, so a null header value throws. For such records the measurement is made to return 0 (the
// value is then not counted; the null branch right after adds sizeOfVarInt(-1)), and kafkajs's own
// Header encoder (writeVarIntBytes(null)) writes the -1 length.
const encodeRecord = (record, batch) => {
  const timestampDelta = record.timestampDelta
  const offsetDelta = record.offsetDelta
  if (record.timestamp !== batch.baseTimestamp + timestampDelta) {
    throw new Error(`record ${record.offset}: timestamp != baseTimestamp + timestampDelta`)
  }
  if (record.offset !== batch.baseOffset + offsetDelta) {
    throw new Error(`record ${record.offset}: offset != baseOffset + offsetDelta`)
  }
  const args = {
    offsetDelta,
    timestampDelta,
    key: b64(record.keyBase64),
    value: b64(record.valueBase64),
    headers: headersObject(record.headers || []),
  }
  const hasNullHeaderValue = (record.headers || []).some(h => h.valueBase64 === null)
  if (!hasNullHeaderValue) return Record(args)

  const byteLength = Buffer.byteLength
  Buffer.byteLength = function (value, ...rest) {
    return value === null ? 0 : byteLength.call(this, value, ...rest)
  }
  try {
    return Record(args)
  } finally {
    Buffer.byteLength = byteLength
  }
}

// All header fields are passed explicitly (kafkajs's defaults are partitionLeaderEpoch 0,
// producerEpoch 0, firstSequence 0, and the producer path uses the smallest timestamp, found with a
// string sort, as baseTimestamp); the vectors use the JSON's values: Kafka's -1s and the first
// record's timestamp.
const encodeBatch = async batch => {
  if (batch.magic !== MAGIC_BYTE) throw new Error(`magic ${batch.magic}: kafkajs writes only magic ${MAGIC_BYTE}`)
  const attributes = (batch.compression & 0x07) | (batch.isTransactional ? 0x10 : 0)
  if (attributes !== batch.attributes) {
    throw new Error(`attributes ${batch.attributes}: kafkajs can only write codec and transactional bits (${attributes})`)
  }
  if (batch.records.length !== batch.recordCount) throw new Error('recordCount != records.length')
  const records = batch.records.map(r => encodeRecord(r, batch))
  const encoder = await RecordBatch({
    compression: batch.compression,
    firstOffset: Long.fromValue(batch.baseOffset),
    firstTimestamp: Long.fromValue(batch.baseTimestamp),
    maxTimestamp: Long.fromValue(batch.maxTimestamp),
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    lastOffsetDelta: batch.lastOffsetDelta,
    transactional: batch.isTransactional,
    producerId: Long.fromValue(batch.producerId),
    producerEpoch: batch.producerEpoch,
    firstSequence: batch.baseSequence,
    records,
  })
  return { bytes: Buffer.from(encoder.buffer), records }
}

// ---------------------------------------------------------------------------------------------
// Segment indexes, as Kafka's LogSegment.append does them, one batch per append:
//   if largestTimestamp > maxTimestampSoFar: remember it and the batch's last offset
//   if bytesSinceLastIndexEntry > indexIntervalBytes:
//     offsetIndex.append(batch's last offset, batch position)
//     timeIndex.maybeAppend(maxTimestampSoFar, offsetOfMaxTimestampSoFar)   (only if the timestamp grew)
//     bytesSinceLastIndexEntry = 0
//   bytesSinceLastIndexEntry += batch size
// Entries are relative to the segment's base offset; the files are trimmed (no zero-filled tail).
const buildSegment = (segmentBaseOffset, batches) => {
  const positions = []
  const index = []
  const timeindex = []
  let position = 0
  let bytesSinceLastIndexEntry = 0
  let maxTimestampSoFar = -1
  let offsetOfMaxTimestampSoFar = -1
  for (const { json, bytes } of batches) {
    const lastOffset = json.baseOffset + json.lastOffsetDelta
    if (json.maxTimestamp > maxTimestampSoFar) {
      maxTimestampSoFar = json.maxTimestamp
      offsetOfMaxTimestampSoFar = lastOffset
    }
    if (bytesSinceLastIndexEntry > INDEX_INTERVAL_BYTES) {
      index.push([lastOffset - segmentBaseOffset, position])
      const last = timeindex[timeindex.length - 1]
      if (!last || maxTimestampSoFar > last[0]) {
        timeindex.push([maxTimestampSoFar, offsetOfMaxTimestampSoFar - segmentBaseOffset])
      }
      bytesSinceLastIndexEntry = 0
    }
    positions.push(position)
    position += bytes.length
    bytesSinceLastIndexEntry += bytes.length
  }
  const indexBytes = Buffer.alloc(8 * index.length)
  index.forEach(([relativeOffset, pos], i) => {
    indexBytes.writeInt32BE(relativeOffset, 8 * i)
    indexBytes.writeInt32BE(pos, 8 * i + 4)
  })
  const timeindexBytes = Buffer.alloc(12 * timeindex.length)
  timeindex.forEach(([timestamp, relativeOffset], i) => {
    timeindexBytes.writeBigInt64BE(BigInt(timestamp), 12 * i)
    timeindexBytes.writeInt32BE(relativeOffset, 12 * i + 8)
  })
  return {
    log: Buffer.concat(batches.map(b => b.bytes)),
    index: indexBytes,
    timeindex: timeindexBytes,
    positions,
    indexEntries: index,
    timeindexEntries: timeindex,
  }
}

// ---------------------------------------------------------------------------------------------
// Checks of a committed .bin against its JSON

const headerFieldsOf = bytes => ({
  baseOffset: Number(bytes.readBigInt64BE(0)),
  batchLength: bytes.readInt32BE(8),
  partitionLeaderEpoch: bytes.readInt32BE(12),
  magic: bytes.readInt8(16),
  crc: bytes.readUInt32BE(17),
  attributes: bytes.readInt16BE(21),
  lastOffsetDelta: bytes.readInt32BE(23),
  baseTimestamp: Number(bytes.readBigInt64BE(27)),
  maxTimestamp: Number(bytes.readBigInt64BE(35)),
  producerId: Number(bytes.readBigInt64BE(43)),
  producerEpoch: bytes.readInt16BE(51),
  baseSequence: bytes.readInt32BE(53),
  recordCount: bytes.readInt32BE(57),
  sizeInBytes: bytes.length,
})

const sameBuffer = (a, b) => (a === null || b === null ? a === b : Buffer.compare(a, b) === 0)

// Returns a list of problems (empty when the committed bytes decode to the JSON).
const checkDecodes = async (bytes, json, kafkajsRecords) => {
  const problems = []
  const raw = headerFieldsOf(bytes)
  for (const field of Object.keys(raw)) {
    if (raw[field] !== json[field]) problems.push(`${field}: bytes say ${raw[field]}, JSON says ${json[field]}`)
  }
  if (12 + raw.batchLength !== bytes.length) problems.push('12 + batchLength != file size')
  const crc = crc32C(bytes.subarray(21))
  if (crc !== json.crc) problems.push(`CRC32C of bytes 21.. is ${crc}, JSON says ${json.crc}`)

  // kafkajs's own decoder (with the zstd codec plugged in above)
  const decoded = await decodeRecordBatch(new Decoder(bytes))
  const expectations = {
    firstOffset: String(json.baseOffset),
    partitionLeaderEpoch: json.partitionLeaderEpoch,
    lastOffsetDelta: json.lastOffsetDelta,
    firstTimestamp: String(json.baseTimestamp),
    maxTimestamp: String(json.maxTimestamp),
    producerId: String(json.producerId),
    producerEpoch: json.producerEpoch,
    firstSequence: json.baseSequence,
    inTransaction: json.isTransactional,
    isControlBatch: json.isControlBatch,
    timestampType: json.timestampType === 'CreateTime' ? 0 : 1,
  }
  for (const [field, expected] of Object.entries(expectations)) {
    if (decoded[field] !== expected) problems.push(`kafkajs decodes ${field} ${decoded[field]}, JSON says ${expected}`)
  }
  if (decoded.records.length !== json.records.length) {
    problems.push(`kafkajs decodes ${decoded.records.length} records, JSON has ${json.records.length}`)
  }
  decoded.records.forEach((r, i) => {
    const e = json.records[i]
    if (!e) return
    const where = `record ${i}`
    if (r.offset !== String(e.offset)) problems.push(`${where}: offset ${r.offset} != ${e.offset}`)
    if (r.timestamp !== String(e.timestamp)) problems.push(`${where}: timestamp ${r.timestamp} != ${e.timestamp}`)
    if (r.attributes !== 0) problems.push(`${where}: record attributes ${r.attributes}`)
    if (!sameBuffer(r.key, b64(e.keyBase64))) problems.push(`${where}: key differs`)
    if (!sameBuffer(r.value, b64(e.valueBase64))) problems.push(`${where}: value differs`)
    // kafkajs folds headers into { key: value | [values] } in order of first appearance; compare in
    // that shape, key order included
    const expected = {}
    for (const h of e.headers || []) {
      const v = b64(h.valueBase64)
      expected[h.key] = !(h.key in expected) ? v : [].concat(expected[h.key], [v])
    }
    const keys = Object.keys(r.headers)
    const expectedKeys = Object.keys(expected)
    const ok =
      keys.length === expectedKeys.length &&
      keys.every((k, j) => k === expectedKeys[j]) &&
      keys.every(k => {
        const a = [].concat(r.headers[k])
        const b = k in expected ? [].concat(expected[k]) : null
        return b && a.length === b.length && a.every((x, j) => sameBuffer(x, b[j]))
      })
    if (!ok) problems.push(`${where}: headers differ`)
  })

  // For a compressed batch, the decompressed block must be exactly kafkajs's encoding of the records
  // (this covers header wire order and varint forms, which the folded headers above cannot show).
  if (json.compression !== Compression.None) {
    const block = await lookupCodec(json.compression).decompress(bytes.subarray(61))
    const expected = Buffer.concat(kafkajsRecords.map(r => r.buffer))
    if (!sameBuffer(Buffer.from(block), expected)) {
      problems.push(`decompressed records (${block.length} bytes) != kafkajs's encoding of the JSON's records (${expected.length} bytes)`)
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------

// @bokuweb/zstd-wasm's "exports" hides its package.json from require(): read it from node_modules.
const installedVersion = name =>
  JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', name, 'package.json'), 'utf8')).version

const PINNED = { kafkajs: '2.2.4', '@bokuweb/zstd-wasm': '0.0.27' }

const main = async () => {
  for (const [name, version] of Object.entries(PINNED)) {
    if (installedVersion(name) !== version) {
      console.error(`${name} ${installedVersion(name)} is installed, the vectors need ${version}: run npm ci`)
      process.exit(2)
    }
  }
  const args = process.argv.slice(2)
  const check = args.includes('--check')
  const positional = args.filter(a => !a.startsWith('--'))
  const unknown = args.filter(a => a.startsWith('--') && a !== '--check')
  if (unknown.length || positional.length > 1) {
    console.error('usage: node generate.js [--check] [OUTPUT_DIR]')
    process.exit(2)
  }
  const outDir = positional[0]
    ? path.resolve(positional[0])
    : fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-record-batches-'))
  if (outDir === VECTORS_DIR) {
    if (check) {
      console.error('--check compares with the committed files: give it another OUTPUT_DIR (or none)')
      process.exit(2)
    }
    console.log('note: writing over the committed .bin and segment files')
  }
  fs.mkdirSync(outDir, { recursive: true })
  await zstd.init()

  const names = fs
    .readdirSync(VECTORS_DIR)
    .filter(f => f.endsWith('.json') && f !== `${SEGMENT}.json`)
    .map(f => f.slice(0, -'.json'.length))
    .sort()

  const results = [] // { file, status: 'identical' | 'differs' | 'differs-allowed' | 'missing', detail }
  let failures = 0
  const fail = (file, message) => {
    failures += 1
    results.push({ file, status: 'FAIL', detail: message })
  }

  const compare = async (file, generated, opts = {}) => {
    fs.writeFileSync(path.join(outDir, file), generated)
    if (!check) return
    const committedPath = path.join(VECTORS_DIR, file)
    if (!fs.existsSync(committedPath)) return fail(file, 'no committed file')
    const committed = fs.readFileSync(committedPath)
    const identical = Buffer.compare(committed, generated) === 0
    let problems = []
    if (opts.json) problems = await checkDecodes(committed, opts.json, opts.records)
    const decodeNote = opts.json ? (problems.length ? '' : '; kafkajs decodes the committed file to the JSON') : ''
    if (problems.length) {
      return fail(file, `decode check: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ' ...' : ''}`)
    }
    if (identical) {
      results.push({ file, status: 'identical', detail: `${generated.length} bytes${decodeNote}` })
    } else if (opts.compressed) {
      results.push({
        file,
        status: 'differs (allowed)',
        detail: `compressed: regenerated ${generated.length} bytes vs committed ${committed.length}${decodeNote}, decompressed block equals kafkajs's records`,
      })
    } else {
      const at = committed.findIndex((b, i) => b !== generated[i])
      fail(file, `regenerated ${generated.length} bytes vs committed ${committed.length}, first difference at byte ${at < 0 ? Math.min(committed.length, generated.length) : at}`)
    }
  }

  for (const name of names) {
    const json = JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, `${name}.json`), 'utf8'))
    try {
      const { bytes, records } = await encodeBatch(json)
      const compressed = json.compression !== Compression.None
      if (!compressed && json.reencodesIdentically !== true) {
        throw new Error('uncompressed vector without reencodesIdentically: true')
      }
      await compare(`${name}.bin`, bytes, { json, records, compressed })
    } catch (e) {
      fail(`${name}.bin`, e.message)
    }
  }

  // The segment: three batches back to back, and its indexes.
  try {
    const segment = JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, `${SEGMENT}.json`), 'utf8'))
    const batches = []
    for (const json of segment.batchContents) {
      const { bytes, records } = await encodeBatch(json)
      batches.push({ json, bytes, records })
    }
    const built = buildSegment(segment.segmentBaseOffset, batches)
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
    if (check) {
      if (!same(built.positions, segment.batchPositions)) fail(`${SEGMENT}.json`, `batch positions ${JSON.stringify(built.positions)} != batchPositions`)
      if (!same(built.indexEntries, segment.index)) fail(`${SEGMENT}.json`, `index ${JSON.stringify(built.indexEntries)} != JSON index`)
      if (!same(built.timeindexEntries, segment.timeindex)) fail(`${SEGMENT}.json`, `timeindex ${JSON.stringify(built.timeindexEntries)} != JSON timeindex`)
      if (built.log.length !== segment.sizeInBytes) fail(`${SEGMENT}.json`, `log size ${built.log.length} != sizeInBytes`)
      // each committed batch inside the .log decodes to its JSON
      const log = fs.readFileSync(path.join(VECTORS_DIR, `${SEGMENT}.log`))
      for (let i = 0; i < batches.length; i++) {
        const start = segment.batchPositions[i]
        const slice = log.subarray(start, start + batches[i].json.sizeInBytes)
        const problems = await checkDecodes(slice, batches[i].json, batches[i].records)
        if (problems.length) fail(`${SEGMENT}.log`, `batch ${i} at ${start}: ${problems.slice(0, 5).join('; ')}`)
      }
    }
    await compare(`${SEGMENT}.log`, built.log)
    await compare(`${SEGMENT}.index`, built.index)
    await compare(`${SEGMENT}.timeindex`, built.timeindex)
  } catch (e) {
    fail(`${SEGMENT}.log`, e.message)
  }

  console.log(`kafkajs ${installedVersion('kafkajs')}, @bokuweb/zstd-wasm ${installedVersion('@bokuweb/zstd-wasm')}, node ${process.version}`)
  console.log(`wrote ${names.length} batches and ${SEGMENT}.{log,index,timeindex} to ${outDir}`)
  if (!check) return
  console.log(`compared with ${VECTORS_DIR}:`)
  for (const r of results) console.log(`  ${r.status.padEnd(18)} ${r.file.padEnd(32)} ${r.detail}`)
  const count = s => results.filter(r => r.status === s).length
  console.log(
    `${count('identical')} byte-identical, ${count('differs (allowed)')} compressed and different but decoding exactly, ${failures} failed`
  )
  if (failures) process.exitCode = 1
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
