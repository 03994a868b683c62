// The hand-written edge-case corpus: each entry is [name, text] or [name, text, pair].
// Every script and known tokenizer trap, plus the ones the per-character table revealed
// (C0/C1 controls that are whitespace to the pre-tokenizer but dropped by clean-text, ...).
const cp = (...points) => String.fromCodePoint(...points);
const repeat = (s, n) => s.repeat(n);

export const singles = [
  ['empty', ''],
  ['only spaces', '   '],
  ['plain English', 'Hello, world! How are you doing today?'],
  ['SNIPS-like', 'book a table for 4 at a restaurant in san francisco tomorrow at 7pm'],
  ['contractions', "I don't think it's Tom's; we'd've gone, wouldn't we?"],
  ['numbers and units', 'Pay $1,234.56 (≈ €1.100) by 12/31/2024 — 50% off, 3×4=12, 2^10, ~5°C'],
  ['ASCII punctuation all', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'],
  ['ASCII punctuation in words', 'a!b"c#d$e%f&g\'h(i)j*k+l,m-n.o/p:q;r<s=t>u?v@w[x\\y]z^a_b`c{d|e}f~g'],
  ['Unicode punctuation vs symbols', '«quote» “curly” ‘single’ — – ‐ … ¡¿ · • † ‡ § ¶ © ® ™ ° ± × ÷ € £ ¥ ¢ ₹ ₿ ← → ⇒ ∀ ∂ ∞ ≤ ≥ ♠ ♥ ★ ☺'],
  ['math and currency symbols in words', 'x≤y a→b 5€ ¥100 ©2024 a^b'],
  ['whitespace kinds', `a\tb\nc\rd\u000be\u000cf\u0085g\u00a0h\u1680i\u2000j\u2003k\u2009l\u200am\u2028n\u2029o\u202fp\u205fq\u3000r`],
  ['zero-width and format characters', `zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffbom\u00adsoft\u200ehy\u200fph`],
  ['C0 and C1 controls', `a\u0000b\u0001c\u0007d\u001be\u001ff\u007fg\u0080h\u009fi`],
  ['replacement character and private use', `re\ufffdplace \ue000pua\uf8ff ${cp(0xf0000)}plane15 ${cp(0x10fffd)}plane16`],
  ['unassigned code points', `a${cp(0x0378)}b${cp(0x2fffe)}c${cp(0xe0080)}d ${cp(0x50000)} ${cp(0x1fffe)}`],
  ['tags and variation selectors', `flag${cp(0x1f3f4, 0xe0067, 0xe0062, 0xe0065, 0xe006e, 0xe0067, 0xe007f)} vs\ufe0f text\ufe0e ${cp(0xe0100)}x`],
  ['accents composed', 'Café naïve résumé Ångström Øresund façade São Paulo Zürich Dvořák Łódź'],
  ['accents decomposed', 'Cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m fac\u0327ade Sa\u0303o Dvor\u030ca\u0301k'],
  ['spacing marks that NFD reorders', `x${cp(0x1d16d, 0x1d165)} y a\u302f\u302e b \u0915\u093c\u094d`],
  ['lone combining marks', '\u0301start mid\u0300\u0301\u0302dle end\u0308 \u20dd\u0488 \u0903\u093e'],
  ['ligatures and compatibility', 'ﬁnance ﬂow ﬀ Ⅻ ① ㎏ ½ ２０２４ ｆｕｌｌｗｉｄｔｈ ｶﾀｶﾅ ™ ℌ 𝐀𝐁𝐂 𝒜'],
  ['Turkish casing', 'İstanbul ISPARTA ıspanak İi Iı DİYARBAKIR kIrmIzI'],
  ['Greek casing and final sigma', 'ΟΔΥΣΣΕΥΣ Ὀδυσσεύς σοφός ΣΟΦΟΣ ς Σ ΐ ΰ ᾼ ᾳ ῼ Ά'],
  ['German casing', 'STRASSE Straße ẞ GROẞ Maß Fuß ÄÖÜ äöü'],
  ['other casing', 'ǅemal ǈ ǋ Ǳ ﬃ ŉ ǰ ẖ Ꭰ ꭰ 𐐀 𐐨 Ⓐ ⓐ Ω K Å ℂ'],
  ['Cyrillic', 'Москва ЁЖИК ёжик Україна Ђорђе'],
  ['Armenian and Georgian', 'Հայաստան ﬓ ՙ ა ბ Ა Ბ'],
  ['CJK', '我爱北京天安门。東京都、日本語を話します！'],
  ['CJK mixed with Latin', 'iPhone手机price是999元abc漢字def'],
  ['CJK compatibility ideographs', '\uf900\uf901\ufa0e\ufa6d\ufad9 ﬁ豈'],
  ['CJK extension planes', `${cp(0x20000)}${cp(0x2a6df)}${cp(0x2a700)}${cp(0x2b740)}${cp(0x2b820)}${cp(0x2b920)}${cp(0x2ceb0)}${cp(0x2f800)}${cp(0x30000)}${cp(0x31350)}a${cp(0x20001)}b`],
  ['CJK range boundaries', `\u33ff\u3400\u4dbf\u4dc0\u4dff\u4e00\u9fff\ua000\uf8ff\uf900\ufaff\ufb00${cp(0x1ffff)}${cp(0x2a6e0)}${cp(0x2b81f)}${cp(0x2b81f + 1)}${cp(0x2ceaf)}${cp(0x2fa1f)}${cp(0x2fa20)}`],
  ['CJK punctuation and kana', '「こんにちは」、カタカナ・ひらがな。〜ー！？（括弧）【】《》〈〉'],
  ['Hangul syllables', '안녕하세요 한국어 대한민국 서울특별시 힣 가'],
  ['Hangul jamo and compatibility jamo', '\u1100\u1161\u11a8 ㄱㄴㄷ ㅏㅑ \u3164 \u115f\u1160'],
  ['Arabic', 'مرحبا بالعالم، كيف حالك؟ القُرْآن ١٢٣ ﷺ ﻻ'],
  ['Hebrew', 'שָׁלוֹם עולם ״ ׳ ﬠ'],
  ['Devanagari', 'नमस्ते दुनिया। हिन्दी क़ ॐ १२३'],
  ['Thai', 'สวัสดีครับ ภาษาไทย ๑๒๓ ฯ ๆ'],
  ['other Indic and SE Asian', 'বাংলা தமிழ் తెలుగు ಕನ್ನಡ മലയാളം ශ්‍රී ລາວ ខ្មែរ မြန်မာ བོད་'],
  ['emoji', 'I ❤ tokenizers 😀😂🥲 🤖 🎉🎉 ☕ ✨ 🫠 🪿'],
  ['emoji with ZWJ and skin tones', '👨‍👩‍👧‍👦 👍🏽 👩🏿‍💻 🧑‍🤝‍🧑 🏳️‍🌈 ❤️‍🔥 🇫🇷🇯🇵 #️⃣ 1️⃣'],
  ['emoji between words', 'good😀morning👍🏽night'],
  ['mathematical alphanumerics', '𝔸𝕓𝕔 𝟘𝟙 𝖆𝖇𝖈 𝚊𝚋𝚌'],
  ['historic scripts', '𐌰𐌱𐌲 𓀀𓀁 𒀀 ᚠᚢᚦ 𐤀'],
  ['word of 100 chars', repeat('a', 100)],
  ['word of 101 chars', repeat('a', 101)],
  ['word of 100 chars with accents', repeat('é', 100)],
  ['word of 101 chars with accents', repeat('é', 101)],
  ['word of 100 decomposed accents', repeat('e\u0301', 50)],
  ['word of 101 decomposed accents', repeat('e\u0301', 51)],
  ['word of 100 astral chars', repeat(cp(0x1d400), 100)],
  ['word of 101 astral chars', repeat(cp(0x1d400), 101)],
  ['word of 100 chars after dropped controls', repeat('a', 100) + '\u200b'],
  ['long unknowable word', 'supercalifragilisticexpialidocious-antidisestablishmentarianism'],
  ['subword splits', 'unaffable tokenization huggingface transformers preprocessing'],
  ['special tokens alone', '[CLS] [SEP] [MASK] [PAD] [UNK]'],
  ['MASK inside words', 'The capital of France is [MASK]. un[MASK]able [MASK][MASK] x[MASK]y'],
  ['special tokens are case-sensitive', '[mask] [Mask] [ MASK ] [MASK'],
  ['special tokens overlap', '[[MASK]] [SEP[SEP]] [[CLS]'],
  ['special tokens next to accents and CJK', 'é[MASK]é 中[SEP]文 😀[MASK]😀'],
  ['brackets and vocabulary look-alikes', '[unused0] ##ing ## # ##'],
  ['repeated punctuation', '!!!??? ...... ---- ,,,, \'\'\''],
  ['URLs and emails', 'https://example.com/path?q=1&r=2#frag user.name+tag@example.co.uk'],
  ['code', 'for (int i = 0; i < n; i++) { sum += a[i] * b[i]; } // done'],
  ['leading and trailing whitespace', '  \t padded text \n '],
  ['digits', '0123456789 ０１２３ ٠١٢٣ ०१२३ ⁰¹² ₀₁₂'],
  ['mixed scripts in one word', 'abcабвαβγ中文한글'],
];

export const pairs = [
  ['pair plain', 'What is the capital of France?', 'Paris is the capital of France.'],
  ['pair empty second', 'only the first text', ''],
  ['pair empty first', '', 'only the second text'],
  ['pair with accents and emoji', 'Où est le café? 😀', 'Il est là-bas, près de la gare.'],
  ['pair with CJK', '北京是中国的首都。', 'Beijing is the capital of China.'],
  ['pair with MASK', 'The cat sat on the [MASK].', 'It was [MASK] soft.'],
];

const longA = 'the quick brown fox jumps over the lazy dog and keeps running far away';
const longB = 'a very short answer';
const longC = 'and here is another long sentence that goes on and on with many more words than needed';

// [name, text, pair, truncation]
export const truncated = [
  ['truncate single right', longA, null, { maxLength: 8 }],
  ['truncate single left', longA, null, { maxLength: 8, direction: 'left' }],
  ['truncate single to 2', longA, null, { maxLength: 2 }],
  ['truncate single to 3', longA, null, { maxLength: 3 }],
  ['truncate single no-op', 'short', null, { maxLength: 16 }],
  ['truncate single exact', 'one two three', null, { maxLength: 5 }],
  ['truncate pair longest-first first longer', longA, longB, { maxLength: 12 }],
  ['truncate pair longest-first second longer', longB, longA, { maxLength: 12 }],
  ['truncate pair longest-first both long', longA, longC, { maxLength: 13 }],
  ['truncate pair longest-first both long even', longA, longC, { maxLength: 14 }],
  ['truncate pair longest-first equal lengths', longA, longA, { maxLength: 11 }],
  ['truncate pair longest-first left', longA, longC, { maxLength: 13, direction: 'left' }],
  ['truncate pair longest-first tiny', longA, longC, { maxLength: 3 }],
  ['truncate pair longest-first one token each', longA, longC, { maxLength: 5 }],
  ['truncate pair only-first', longA, longB, { maxLength: 12, strategy: 'OnlyFirst' }],
  ['truncate pair only-second', longB, longC, { maxLength: 12, strategy: 'OnlySecond' }],
  ['truncate pair only-second left', longB, longC, { maxLength: 12, strategy: 'OnlySecond', direction: 'left' }],
  ['truncate pair no-op', 'a b', 'c d', { maxLength: 32 }],
  ['truncate cuts a word into sub-words', 'tokenization preprocessing unaffable', null, { maxLength: 4 }],
  ['truncate with emoji offsets', '😀 a 😀 b 😀 c 😀 d', '👍🏽 e f g h i j k', { maxLength: 9 }],
];

// [name, texts (string or [a, b]), padding]
export const batches = [
  ['batch pad to longest', ['short', 'a somewhat longer sentence here', '', 'mid length text'], {}],
  ['batch pad left', ['short', 'a somewhat longer sentence here', 'é😀'], { direction: 'left' }],
  ['batch pad fixed length', ['short', 'a somewhat longer sentence'], { maxLength: 12 }],
  ['batch pad to multiple of 8', ['short', 'a somewhat longer sentence here'], { padToMultipleOf: 8 }],
  ['batch pairs pad to longest', [['question one?', 'answer one.'], ['q2', 'a much longer second answer text']], {}],
];

// [name, text, skipSpecialTokens] decoded from the oracle's own ids
export const decodes = [
  ['decode plain', 'Hello, world! How are you?', true],
  ['decode keep specials', 'Hello [MASK] world', false],
  ['decode skip specials', 'Hello [MASK] world [UNK] x', true],
  ['decode contractions', "I don't know, it's what we've done; they're here. I'm 'quoted' . ? !", true],
  ['decode sub-words', 'tokenization preprocessing unaffable', true],
  ['decode do not', 'we do not know', true],
  ['decode accents and CJK', 'Café 中文 😀', true],
];

// token sequences decoded as given: to reach the decoder's corner cases
export const decodeTokens = [
  ['decode starts with continuation', ['##ing', 'hello', '##s'], true],
  ['decode only specials', ['[CLS]', '[SEP]', '[PAD]', '[MASK]'], true],
  ['decode only specials kept', ['[CLS]', '[SEP]', '[PAD]', '[MASK]'], false],
  ['decode punctuation runs', ['.', '.', '?', '!', ',', "'", 's', "'", 're', 'do', 'not', 'n', "'", 't', "'", 'm', "'", 've'], true],
];
