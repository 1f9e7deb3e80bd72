#!/usr/bin/env python3
"""Records llama.cpp reference outputs for SmolLM2 from a running llama-server (stdlib only).

Called by scripts/make-reference.sh, which starts the server; see that script for the full story.
Usage: make-reference.py full URL OUT_JSON LLAMA_VERSION_STRING
       make-reference.py pre URL OUT_JSON LLAMA_VERSION_STRING FAMILY
full: for every prompt: /tokenize (add_special and parse_special as /completion does) -> prompt_ids;
/completion with those ids, greedy (top_k 1, temperature 0), 64 tokens -> greedy_ids, greedy_text.
Also renders chat templates through /apply-template (golden strings for the ChatML renderer) and
records the greedy chat answer to "What is the capital of France?".
pre: the server runs with --override-kv tokenizer.ggml.pre=str:FAMILY (SmolLM2's vocabulary split
by another family's pre-tokenizer); adds that family's token ids of every prompt and of 40
deterministic random strings to OUT_JSON, a reference for the pre-tokenizers SmolLM2 itself does
not use (and more text for the one it does).
"""
import os
import json
import sys
import urllib.request

N_PREDICT = 64
SEED = 42

PROMPTS = [
    ("plain", "The quick brown fox jumps over the lazy dog."),
    ("question", "What is the capital of France?"),
    ("code_python", "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n"),
    ("code_cpp", "#include <vector>\nint main() {\n\tstd::vector<int> v{1, 2, 3};\n\treturn v.size() > 2 ? 0 : 1;\n}"),
    ("unicode_accents", "Café naïve résumé — déjà vu, Zürich, São Paulo, Kraków."),
    ("cjk_chinese", "北京是中华人民共和国的首都，也是全国的政治和文化中心。"),
    ("cjk_japanese", "東京は日本の首都です。ひらがなとカタカナ、漢字を使います。"),
    ("korean", "안녕하세요, 만나서 반갑습니다. 오늘 날씨가 좋네요."),
    ("emoji", "I love pizza 🍕 and coffee ☕! 👨‍👩‍👧‍👦 family 🇫🇷 flag 😂😂"),
    ("numbers", "In 2024, 1234567 people paid $3.14 each; 0.001% of 9876543210 is 98765.4321."),
    ("long_whitespace", "a      b\t\t\tc\n\n\n\nd          \n   e  \r\n f"),
    ("mixed_case", "HeLLo WoRLD, ThIs Is MiXeD CaSe. CAPS LOCK and lowercase and camelCaseWords."),
    ("url", "Visit https://example.com/path?query=1&lang=en#section or http://localhost:8080/v1/chat/completions."),
    ("contractions", "I'm sure you've heard they'll say it's what we'd do, but don't, won't, can't, I'D, YOU'RE."),
    ("punctuation", "Wait... what?! (Really) [yes] {no} <maybe> \"quoted\" 'single' -- em—dash; colon: end."),
    ("cyrillic_greek", "Привет, мир! Γειά σου Κόσμε! Ελληνικά και русский язык."),
    ("arabic_hebrew", "مرحبا بالعالم. שלום עולם. السلام عليكم"),
    ("math", "Let f(x) = x² + 2x − 1, then ∫₀¹ f(x) dx = 1/3 ≈ 0.333 and ∑ᵢ i = n(n+1)/2, α ≤ β ≥ γ."),
    ("json", "{\"name\": \"SmolLM2\", \"params\": 135000000, \"tags\": [\"small\", \"fast\"], \"ok\": true}"),
    ("markdown", "# Title\n\n## Section 1\n\n- item one\n- item two\n\n```bash\necho \"hello\"\n```\n\n> quote"),
    ("multi_paragraph", "The history of computing is long.\n\nCharles Babbage designed the Analytical Engine in the 1830s. Ada Lovelace wrote what is considered the first program.\n\nIn the 20th century, Alan Turing formalised computation. Later, transistors and integrated circuits made computers small and cheap.\n\nToday, large language models run on laptops."),
    ("chat_formatted", None),  # filled with the template rendering below
    ("special_in_text", "Some text <|im_start|>user\nHi<|im_end|> and <|endoftext|> more."),
    ("leading_spaces", "   leading spaces and trailing spaces   "),
    ("single_char", "A"),
    ("digits_long", "3141592653589793238462643383279502884197169399375105820974944592307816406286"),
    ("mixed_scripts", "English, Français, Deutsch, 中文, 日本語, 한국어, हिन्दी, ไทย, Tiếng Việt."),
    ("repeated", "na na na na na na na na na na na na na na na na Batman!"),
]

CHAT_CASES = [
    ("user_only", [{"role": "user", "content": "What is the capital of France?"}]),
    ("with_system", [{"role": "system", "content": "You are a pirate."},
                     {"role": "user", "content": "Hello!"}]),
    ("multi_turn", [{"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello! How can I help?"},
                    {"role": "user", "content": "Tell me a joke.\nMake it short."}]),
]


def post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read().decode())


def tokenize(url, text):
    return post(url, "/tokenize", {"content": text, "add_special": True, "parse_special": True})["tokens"]


def greedy(url, ids):
    out = post(url, "/completion", {
        "prompt": ids, "n_predict": N_PREDICT, "temperature": 0, "top_k": 1, "samplers": ["top_k"],
        "seed": SEED, "cache_prompt": False, "return_tokens": True, "stream": False})
    return out["tokens"], out["content"], out.get("stop_type", "")


def apply_template(url, messages):
    return post(url, "/apply-template", {"messages": messages})["prompt"]


def random_texts(count=40, seed=1234):
    """Deterministic random strings mixing the character classes the splitters care about."""
    import random
    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "!?.,;:()[]{}<>\"'-_/\\@#$%^&*+=|~`",
        " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", "\u00a0", "\u3000", "\u2009",
        "éèàüößçñøåÉÀÜ", "北京欢迎你中文字符日本語", "ひらがなカタカナ", "한국어", "привет", "αβγδ",
        "😂🍕👍🏽🇫🇷❤️‍🔥", "\u0301\u0308", "٠١٢٣", "²³¼½", "'s", "'LL", "'ve", "'D", "…", "—",
    ]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(3, 25)):
            pool = rng.choice(pools)
            if len(pool) > 3 and rng.random() < 0.7:
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
            else:
                parts.append(pool)
        texts.append("".join(parts))
    return texts


def record_pre_family(url, out_path, version, family):
    doc = {"model": "SmolLM2-135M-Instruct.Q4_1.gguf", "llama_cpp_version": version,
           "note": "tokenizer.ggml.pre overridden per family; add_special and parse_special set",
           "families": {}}
    if os.path.exists(out_path):
        with open(out_path, encoding="utf-8") as f:
            doc = json.load(f)
    texts = [t for _, t in PROMPTS if t is not None] + random_texts()
    doc["families"][family] = [{"prompt": t, "ids": tokenize(url, t)} for t in texts]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"pre-tokenizer {family}: {len(texts)} prompts", file=sys.stderr)


def main():
    mode, url, out_path, version = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    if mode == "pre":
        record_pre_family(url, out_path, version, sys.argv[5])
        return
    chat_templates = [{"name": n, "messages": m, "add_generation_prompt": True,
                       "rendered": apply_template(url, m)} for n, m in CHAT_CASES]
    prompts = []
    for name, text in PROMPTS:
        if text is None:
            text = chat_templates[2]["rendered"]
        ids = tokenize(url, text)
        gids, gtext, stop = greedy(url, ids)
        prompts.append({"name": name, "prompt": text, "prompt_ids": ids, "greedy_ids": gids,
                        "greedy_text": gtext, "stop_type": stop})
        print(f"{name}: {len(ids)} prompt tokens, {len(gids)} generated ({stop})", file=sys.stderr)
    question = CHAT_CASES[0][1]
    rendered = chat_templates[0]["rendered"]
    chat_ids = tokenize(url, rendered)
    chat_gids, chat_text, chat_stop = greedy(url, chat_ids)
    api = post(url, "/v1/chat/completions", {"messages": question, "max_tokens": N_PREDICT,
                                             "temperature": 0, "top_k": 1, "seed": SEED})
    api_text = api["choices"][0]["message"]["content"]
    doc = {
        "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "llama_cpp_version": version,
        "settings": {"n_predict": N_PREDICT, "temperature": 0, "top_k": 1, "samplers": ["top_k"],
                     "seed": SEED, "threads": 2, "slots": 1, "cache_prompt": False,
                     "tokenize": {"add_special": True, "parse_special": True},
                     "add_bos_token": False},
        "prompts": prompts,
        "chat_templates": chat_templates,
        "chat": {"messages": question, "rendered": rendered, "prompt_ids": chat_ids,
                 "greedy_ids": chat_gids, "greedy_text": chat_text, "stop_type": chat_stop,
                 "chat_completions_text": api_text},
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
