"""The official OpenAI Python SDK against `ascendra serve` on the default model.

Run by scripts/test-integration.sh (ASCENDRA_BIN, ASCENDRA_MODEL). One server for the module, on a
free loopback port, with small outputs so the whole file takes seconds on two cores.
"""
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

openai = pytest.importorskip("openai", reason="pip install openai (scripts/test-integration.sh)")

BIN = os.environ.get("ASCENDRA_BIN", "build/ascendra")
MODEL = os.environ.get("ASCENDRA_MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf")
NAME = "smollm2"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    if not os.path.exists(BIN):
        pytest.skip(f"{BIN} is not built")
    if not os.path.exists(MODEL):
        pytest.skip(f"model {MODEL} is missing (scripts/fetch-models.sh)")
    port = free_port()
    proc = subprocess.Popen([BIN, "serve", "-m", MODEL, "--port", str(port), "--threads", "2",
                             "--served-model-name", NAME, "--ctx-size", "1024", "--api-key", "k1"],
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    break
        except Exception:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail("server did not become ready: " + proc.stderr.read())
        time.sleep(0.1)
    yield url
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server + "/v1", api_key="k1", max_retries=0)


def test_models_list(client):
    models = client.models.list()
    assert [m.id for m in models.data] == [NAME]


def test_chat_non_streaming(client):
    r = client.chat.completions.create(model=NAME, messages=[{"role": "user", "content": "Say hi."}],
                                       max_tokens=8, temperature=0)
    assert r.object == "chat.completion"
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content
    assert r.choices[0].finish_reason in ("stop", "length")
    assert r.usage.completion_tokens <= 8 and r.usage.prompt_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_chat_streaming_equals_non_streaming(client):
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    whole = client.chat.completions.create(model=NAME, messages=msgs, max_tokens=10, temperature=0)
    stream = client.chat.completions.create(model=NAME, messages=msgs, max_tokens=10, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    text, finish, usage = "", None, None
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    assert text == whole.choices[0].message.content
    assert finish == whole.choices[0].finish_reason
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens


def test_completions(client):
    r = client.completions.create(model=NAME, prompt="The capital of France is", max_tokens=6,
                                  temperature=0)
    assert r.object == "text_completion"
    assert r.choices[0].text
    s = client.completions.create(model=NAME, prompt="The capital of France is", max_tokens=6,
                                  temperature=0, stream=True)
    assert "".join(c.choices[0].text for c in s) == r.choices[0].text


def test_errors_are_openai_errors(client, server):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert e.value.status_code == 400
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=NAME, messages=[{"role": "user", "content": "x"}], n=2)
    bad = openai.OpenAI(base_url=server + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
