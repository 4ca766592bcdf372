// llama.cpp (through node-llama-cpp 3.21.1's prebuilt CPU backend) on a GGUF, driven by
// NotebookSlm.Benchmarks.LlamaCppPeer: `node llamacpp-bench.mjs request.json` prints one JSON
// object on stdout. LlamaCppPeer copies this file next to the node_modules it installs, so
// that `import "node-llama-cpp"` resolves there.
//
// Request: { model, threads, contextSize, batchSize, kvCacheType (F32|F16), mode, prompts: [[ids]], outputTokens, warmup }
//   mode "bench": for each prompt (the first `warmup` are not reported), clear the sequence,
//     evaluate the prompt (prefill) and decode outputTokens tokens greedily, one per step;
//     report first-token ms (prompt in, first token out) and decode ms (the remaining tokens).
//   mode "check": for the first prompt, decode outputTokens tokens, each the argmax of
//     llama.cpp's full next-token distribution, and report the tokens and those distributions.
import {readFileSync} from "node:fs";
import {performance} from "node:perf_hooks";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const request = JSON.parse(readFileSync(process.argv[2], "utf8"));
// build "never" and skipDownload: use the prebuilt binaries only; never fetch or compile llama.cpp.
const llama = await getLlama({
    gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true,
    progressLogs: false, logLevel: LlamaLogLevel.error, maxThreads: request.threads,
});
const model = await llama.loadModel({modelPath: request.model, gpuLayers: 0, useMmap: true});
const context = await model.createContext({
    contextSize: request.contextSize, batchSize: request.batchSize, sequences: 1,
    flashAttention: request.flashAttention ?? "auto",
    threads: {ideal: request.threads, min: request.threads},
    // K/V cache in the weights' precision (llama.cpp's default is F16 whatever the weights).
    experimentalKvCacheKeyType: request.kvCacheType, experimentalKvCacheValueType: request.kvCacheType,
});
const sequence = context.getSequence();

const about = {
    llama_cpp_release: llama.llamaCppRelease, build: llama.buildType, gpu: llama.gpu,
    system_info: llama.systemInfo, threads: request.threads, context_size: context.contextSize,
    batch_size: context.batchSize, flash_attention: context.flashAttention, kv_cache_type: request.kvCacheType,
    model_size_bytes: model.size, vocab_size: model.fileInsights.tokens?.length ?? null,
};

if (request.mode === "check") {
    const prompt = request.prompts[0];
    const tokens = [];
    const distributions = [];
    let input = prompt;
    for (let step = 0; step < request.outputTokens; step++) {
        // The full distribution: temperature 1 with top-k, top-p and min-p off is softmax(logits).
        const items = input.map((t, i) => i < input.length - 1 ? t : [t, {generateNext: {
            probabilities: true, options: {temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1}}}]);
        const out = await sequence.controlledEvaluate(items);
        const probabilities = out[input.length - 1].next.probabilities;
        const dense = new Array(request.vocabSize).fill(0);
        let best = -1, bestP = -1;
        for (const [t, p] of probabilities) { dense[t] = p; if (p > bestP) { bestP = p; best = t; } }
        tokens.push(best);
        distributions.push(dense);
        input = [best];
    }
    console.log(JSON.stringify({about, tokens, distributions}));
} else {
    const runs = [];
    for (let i = 0; i < request.prompts.length; i++) {
        await sequence.clearHistory();
        const tokens = [];
        const start = performance.now();
        let firstAt = 0, lastAt = 0;
        // temperature 0: greedy. The generator evaluates the next token only when asked for it, so
        // the time between yields is one decode step; EOS is yielded like any token and ignored.
        for await (const token of sequence.evaluate(request.prompts[i], {temperature: 0, yieldEogToken: true})) {
            lastAt = performance.now();
            if (tokens.length === 0) firstAt = lastAt;
            tokens.push(token);
            if (tokens.length >= request.outputTokens) break;
        }
        if (i >= request.warmup)
            runs.push({first_token_ms: firstAt - start, decode_ms: lastAt - firstAt, tokens: tokens.length, prompt_tokens: request.prompts[i].length});
    }
    console.log(JSON.stringify({about, runs}));
}
await context.dispose();
await model.dispose();
await llama.dispose();
