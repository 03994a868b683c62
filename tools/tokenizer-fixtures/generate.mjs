// Writes the Hugging Face oracle's encodings as JSON lines for the C# parity tests
// (Tests/CudaBert.Tests.Parity/Fixtures/tokenizer/). Run: npm install && node generate.mjs
//
//   edge-cases.jsonl   the hand-written corpus of edge-cases.mjs: singles, pairs, truncation,
//                      batches with padding, decoding; uncased, plus the cased configuration
//   snips.jsonl.gz     every SNIPS sentence (train and dev) of data/snips
//   tokenizer-template.json  the oracle's own tokenizer.json with the vocabulary left out (the
//                      tests put the MiniLM vocabulary back in; no copy of it is committed)
//   words.jsonl.gz     SNIPS dev sentences given as words (word ids index the words)
//   sweep.jsonl.gz     every code point of planes 0 and 1 (and samples of the others) inside words
//
// Offsets are the oracle's: indices in Unicode scalar values (the C# tests convert them to UTF-16).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { readVocabLines, vocabFromLines, bertTokenizer } from './oracle.mjs';
import { singles, pairs, truncated, batches, decodes, decodeTokens } from './edge-cases.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const outDir = path.resolve(here, '../../Tests/CudaBert.Tests.Parity/Fixtures/tokenizer');
const snipsDir = path.resolve(here, process.env.SNIPS_DIR ?? '../../data/snips');
fs.mkdirSync(outDir, { recursive: true });

const vocab = vocabFromLines(readVocabLines());
const configs = {
  uncased: () => bertTokenizer(vocab),
  cased: () => bertTokenizer(vocab, { lowercase: false }),
  'lowercase-keep-accents': () => bertTokenizer(vocab, { lowercase: true, stripAccents: false }),
};

function encodingJson(e) {
  return {
    ids: e.getIds(),
    tokens: e.getTokens(),
    type_ids: e.getTypeIds(),
    attention_mask: e.getAttentionMask(),
    special_tokens_mask: e.getSpecialTokensMask(),
    word_ids: e.getWordIds().map((w) => (w === undefined ? null : w)),
    offsets: e.getOffsets(),
  };
}

async function encodeCase(config, { name, text, pair = null, truncation = null }) {
  const tokenizer = configs[config]();
  if (truncation) tokenizer.setTruncation(truncation.maxLength, { stride: 0, ...truncation });
  const e = await tokenizer.encode(text, pair);
  return { name, config, text, pair, truncation, ...encodingJson(e) };
}

{
  const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokenizer-')), 'tokenizer.json');
  configs.uncased().save(saved, true);
  const json = JSON.parse(fs.readFileSync(saved, 'utf8'));
  json.model.vocab = {};
  fs.writeFileSync(path.join(outDir, 'tokenizer-template.json'), JSON.stringify(json, null, 2) + '\n');
}

const edge = [];
for (const config of Object.keys(configs)) {
  for (const [name, text] of singles) edge.push(await encodeCase(config, { name, text }));
  for (const [name, text, pair] of pairs) edge.push(await encodeCase(config, { name, text, pair }));
}
for (const [name, text, pair, truncation] of truncated) edge.push(await encodeCase('uncased', { name, text, pair, truncation }));
for (const [name, inputs, padding] of batches) {
  const tokenizer = configs.uncased();
  let encodings;
  if (typeof inputs[0] === 'string') {
    tokenizer.setPadding(padding);
    encodings = await tokenizer.encodeBatch(inputs);
  } else {
    // This binding's encodeBatch takes no pairs: pad each pair to the batch's longest length instead.
    const longest = Math.max(...await Promise.all(inputs.map(async ([a, b]) => (await tokenizer.encode(a, b)).getLength())));
    tokenizer.setPadding({ ...padding, maxLength: longest });
    encodings = await Promise.all(inputs.map(([a, b]) => tokenizer.encode(a, b)));
  }
  edge.push({ name, config: 'uncased', batch: inputs, padding, encodings: encodings.map(encodingJson) });
}
for (const [name, text, skip] of decodes) {
  const tokenizer = configs.uncased();
  const ids = (await tokenizer.encode(text)).getIds();
  edge.push({ name, config: 'uncased', decode: ids, skip_special_tokens: skip, decoded: await tokenizer.decode(ids, skip) });
}
for (const [name, tokens, skip] of decodeTokens) {
  const tokenizer = configs.uncased();
  const ids = tokens.map((t) => { if (!(t in vocab)) throw new Error(`${name}: ${t} not in vocab`); return vocab[t]; });
  edge.push({ name, config: 'uncased', decode: ids, skip_special_tokens: skip, decoded: await tokenizer.decode(ids, skip) });
}
fs.writeFileSync(path.join(outDir, 'edge-cases.jsonl'), edge.map((c) => JSON.stringify(c)).join('\n') + '\n');

// SNIPS: one line per sentence, in file order.
const snips = [];
const uncased = configs.uncased();
for (const split of ['train', 'dev']) {
  const lines = fs.readFileSync(path.join(snipsDir, split, 'seq.in'), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [i, text] of lines.entries()) {
    const e = encodingJson(await uncased.encode(text));
    delete e.tokens; // ids carry the same information; keeps the file small
    snips.push({ name: `${split}/seq.in:${i + 1}`, config: 'uncased', text, ...e });
  }
}
writeGzip('snips.jsonl.gz', snips);

// SNIPS dev as words (is_split_into_words). This binding's encode takes no word lists, so each
// word is encoded alone without special tokens, as Hugging Face does for pre-tokenized input, and
// the pieces are put between [CLS] and [SEP]; offsets move into the words joined by single spaces.
const snipsWords = [];
for (const [i, line] of fs.readFileSync(path.join(snipsDir, 'dev', 'seq.in'), 'utf8').split('\n').entries()) {
  if (line === '') continue;
  snipsWords.push(await wordsCase(`dev/seq.in:${i + 1}`, line.split(' ')));
}
for (const words of [['New', 'York-based', 'café'], ['o\'clock', '', '7pm', '[MASK]'], ['😀ab', 'x\u0301y', '中文'], ['\u200b', 'a', '\u0000', 'b']]) {
  snipsWords.push(await wordsCase(`words ${JSON.stringify(words)}`, words));
}
writeGzip('words.jsonl.gz', snipsWords);

// Sweep: each code point after a letter and before one, 64 per text, so that accents attach to a
// word, punctuation splits it and dropped characters join its halves.
const sweep = [];
const sweepRanges = [[0x0000, 0x1ffff], [0x20000, 0x2013f], [0x2a6c0, 0x2a73f], [0x2b800, 0x2b93f], [0x2ce80, 0x2cf3f],
  [0x2f800, 0x2fa3f], [0x30000, 0x3007f], [0xe0000, 0xe01ff], [0xf0000, 0xf007f], [0x10ff80, 0x10ffff]];
for (const config of ['uncased', 'cased']) {
  const tokenizer = configs[config]();
  for (const [first, last] of sweepRanges) {
    for (let block = first; block <= last; block += 64) {
      let text = '';
      for (let c = block; c < block + 64 && c <= last; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        text += 'a' + String.fromCodePoint(c);
      }
      if (text === '') continue;
      const e = encodingJson(await tokenizer.encode(text + 'b'));
      delete e.tokens;
      sweep.push({ name: `U+${block.toString(16).toUpperCase()}`, config, text: text + 'b', ...e });
    }
  }
}
writeGzip('sweep.jsonl.gz', sweep);

async function wordsCase(name, words) {
  const c = { name, config: 'uncased', words, text: words.join(' '), ids: [vocab['[CLS]']], word_ids: [null], offsets: [[0, 0]] };
  let start = 0;
  for (const [w, word] of words.entries()) {
    const e = await uncased.encode(word, null, { addSpecialTokens: false });
    c.ids.push(...e.getIds());
    c.word_ids.push(...e.getIds().map(() => w));
    c.offsets.push(...e.getOffsets().map(([s, t]) => [s + start, t + start]));
    start += [...word].length + 1;
  }
  c.ids.push(vocab['[SEP]']);
  c.word_ids.push(null);
  c.offsets.push([0, 0]);
  const n = c.ids.length;
  return { ...c, type_ids: Array(n).fill(0), attention_mask: Array(n).fill(1), special_tokens_mask: c.ids.map((_, k) => (k === 0 || k === n - 1 ? 1 : 0)) };
}

function writeGzip(file, cases) {
  const data = zlib.gzipSync(cases.map((c) => JSON.stringify(c)).join('\n') + '\n', { level: 9 });
  fs.writeFileSync(path.join(outDir, file), data);
  console.log(`${file}: ${cases.length} cases, ${data.length} bytes`);
}
console.log(`edge-cases.jsonl: ${edge.length} cases`);
