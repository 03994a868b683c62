// Hugging Face's own serialization of the uncased BERT tokenizer pipeline, for comparison with ours.
//
// The C# side (Model/Import/BertTokenizerJson.cs) writes tokenizer.json by hand. Here the same pipeline
// is assembled with the official Rust library through its Node binding (npm `tokenizers`) and serialized
// by that library; the test Tests/CudaBert.Tests/Model/Import/BertTokenizerJsonTests.cs builds ours from
// the same vocabulary and requires the two JSON documents to be equal.
//
// Usage: npm ci && node reference.mjs OUTPUT.json   (or: npm run generate)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const hf = require('tokenizers');
const version = require('tokenizers/package.json').version;

// A small vocabulary in vocab.txt order (line index = id) with the five special tokens placed as in
// bert-base-uncased's relative order, an accented and a CJK token, and continuation pieces.
const vocabulary = ['[PAD]', '[unused0]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '!', ',', 'the', 'play',
  '##list', 'song', 'café', '東', 'una', '##ffa', '##ble', '##s'];
const vocab = Object.fromEntries(vocabulary.map((token, id) => [token, id]));

const tokenizer = new hf.Tokenizer(hf.WordPiece.init(vocab, {
  unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100,
}));
tokenizer.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true }));
tokenizer.setPreTokenizer(hf.bertPreTokenizer());
tokenizer.setPostProcessor(hf.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1',
  [['[CLS]', vocab['[CLS]']], ['[SEP]', vocab['[SEP]']]]));
tokenizer.setDecoder(hf.wordPieceDecoder('##', true));
tokenizer.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);

// The library's own serializer writes the file; we read it back to embed it in the fixture.
const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokenizer-json-')), 'tokenizer.json');
tokenizer.save(saved, true);
const output = {
  generator: `tools/tokenizer-json/reference.mjs with tokenizers ${version}`,
  vocabulary,
  tokenizer: JSON.parse(fs.readFileSync(saved, 'utf8')),
};
fs.rmSync(path.dirname(saved), { recursive: true });
fs.writeFileSync(process.argv[2], JSON.stringify(output, null, 1) + '\n');
