// disaggd-model-bench: prefill and decode speed of a model backend plugin on a model folder,
// through the same host path the daemon uses (PluginHost, ModelBackend, the model ABI).
//
//   disaggd-model-bench --model DIR [--plugin torch] [--plugin-dir DIR] [--dtype auto]
//       [--threads 0] [--prompt 512] [--decode 32] [--batches 1,16] [--repeat 3]
//
// Prints one line per measurement: "prefill tokens=512 seconds=... tokens_per_s=..." and
// "decode batch=16 steps=... tokens_per_s=...". Each number is the best of --repeat runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_cli.h"
#include "core/logging/logging.h"
#include "core/plugins/model_backend.h"
#include "core/plugins/plugin_host.h"
#include "engine/model/model_folder.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string model;
  std::string plugin = "torch";
  std::string plugin_dir;
  std::string dtype = "auto";
  int threads = 0;
  int prompt = 512;
  int decode = 32;
  std::vector<int> batches = {1, 16};
  int repeat = 3;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "disaggd-model-bench: " << problem
            << "\nusage: disaggd-model-bench --model DIR [--plugin torch] [--plugin-dir DIR] "
               "[--dtype auto|float32|bfloat16] [--threads N] [--prompt N] [--decode N] "
               "[--batches 1,16] [--repeat N]\n";
  std::exit(64);
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      usage(flag + " needs a value");
    }
    const std::string value = argv[++i];
    if (flag == "--model") {
      args.model = value;
    } else if (flag == "--plugin") {
      args.plugin = value;
    } else if (flag == "--plugin-dir") {
      args.plugin_dir = value;
    } else if (flag == "--dtype") {
      args.dtype = value;
    } else if (flag == "--threads") {
      args.threads = std::stoi(value);
    } else if (flag == "--prompt") {
      args.prompt = std::stoi(value);
    } else if (flag == "--decode") {
      args.decode = std::stoi(value);
    } else if (flag == "--repeat") {
      args.repeat = std::max(1, std::stoi(value));
    } else if (flag == "--batches") {
      args.batches = disaggd::bench::comma_separated_ints(value);
    } else {
      usage("unknown option " + flag);
    }
  }
  if (args.model.empty()) {
    usage("--model is required");
  }
  return args;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check(const disaggd::core::Status& status) {
  if (!status.ok()) {
    std::cerr << "disaggd-model-bench: " << status.message() << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  disaggd::core::init_logging(disaggd::core::LogLevel::kWarn);
  auto folder = disaggd::engine::open_model_folder(args.model);
  check(folder.status());
  std::vector<std::filesystem::path> dirs;
  if (!args.plugin_dir.empty()) {
    dirs.push_back(args.plugin_dir);
  }
  dirs.push_back(std::filesystem::read_symlink("/proc/self/exe").parent_path() / ".." / "lib" /
                 "disaggd" / "plugins");
  disaggd::core::PluginHost host(dirs);
  auto library = host.load(disaggd::core::PluginKind::kModel, args.plugin);
  check(library.status());

  const int max_batch = *std::max_element(args.batches.begin(), args.batches.end());
  const int64_t tokens_per_seq = std::max(args.prompt, 16) + args.decode + 16;
  disaggd::core::PluginOptions options = {
      disaggd::core::PluginOption::from_scalar("dtype", args.dtype, true),
      disaggd::core::PluginOption::from_scalar("threads", std::to_string(args.threads), false),
      disaggd::core::PluginOption::from_scalar(
          "kv_blocks", std::to_string((tokens_per_seq / 16 + 1) * (max_batch + 1)), false)};
  const auto load_start = Clock::now();
  auto backend = disaggd::core::ModelBackend::create(*library, folder->config.to_json().dump(),
                                                     folder->weights.weight_source(), options);
  check(backend.status());
  std::printf("load seconds=%.2f\n", seconds_since(load_start));

  // The work per token, for the bounds: decode reads every layer matrix and the output head once
  // per step; prefill multiplies each prompt token through the layer matrices, attends over the
  // tokens before it, and runs the head for the last token only.
  const auto& c = folder->config;
  const double layer_params =
      static_cast<double>(c.num_hidden_layers) *
      (static_cast<double>(c.hidden_size) * static_cast<double>(c.head_dim) *
           static_cast<double>(2 * c.num_attention_heads + 2 * c.num_key_value_heads) +
       3.0 * static_cast<double>(c.hidden_size) * static_cast<double>(c.intermediate_size));
  const double head_params = static_cast<double>(c.vocab_size) * static_cast<double>(c.hidden_size);
  const double bytes_per_weight = (*backend)->kv_layout().dtype == DISAGGD_DTYPE_BF16 ? 2.0 : 4.0;
  const double n = args.prompt;
  const double attention_flops = 4.0 * static_cast<double>(c.num_hidden_layers) *
                                 static_cast<double>(c.num_attention_heads * c.head_dim) * n *
                                 (n + 1) / 2.0;
  std::printf("work decode_bytes_per_token=%.0f prefill_flops_per_token=%.0f\n",
              (layer_params + head_params) * bytes_per_weight,
              (2.0 * layer_params * n + 2.0 * head_params + attention_flops) / n);

  const std::size_t vocab = static_cast<std::size_t>(folder->config.vocab_size);
  const uint32_t block_size = (*backend)->kv_layout().block_size;
  const int blocks_per_seq = static_cast<int>((tokens_per_seq + block_size - 1) / block_size);
  std::mt19937 random(7);
  // Token ids the synthetic tokenizer knows (real models: any id below the vocabulary works).
  std::uniform_int_distribution<int32_t> token(3, 700);

  // Prefill: one sequence of --prompt tokens in one forward call.
  {
    std::vector<int32_t> prompt(static_cast<std::size_t>(args.prompt));
    for (int32_t& t : prompt) {
      t = token(random);
    }
    std::vector<int32_t> blocks(static_cast<std::size_t>(blocks_per_seq));
    std::iota(blocks.begin(), blocks.end(), 0);
    std::vector<float> logits(vocab);
    double best = 1e30;
    for (int r = 0; r < args.repeat; ++r) {
      const disaggd_forward_sequence seq{prompt.data(), static_cast<uint32_t>(prompt.size()), 0,
                                         blocks.data(), static_cast<uint32_t>(blocks.size()), 1};
      const auto start = Clock::now();
      check((*backend)->forward({&seq, 1}, logits));
      best = std::min(best, seconds_since(start));
    }
    std::printf("prefill tokens=%d seconds=%.4f tokens_per_s=%.1f\n", args.prompt, best,
                args.prompt / best);
  }

  // Decode: `batch` sequences with a 16-token context each advance one token per step.
  for (int batch : args.batches) {
    std::vector<std::vector<int32_t>> tokens(static_cast<std::size_t>(batch));
    std::vector<std::vector<int32_t>> blocks(static_cast<std::size_t>(batch));
    for (int b = 0; b < batch; ++b) {
      tokens[b].resize(static_cast<std::size_t>(16 + args.decode));
      for (int32_t& t : tokens[b]) {
        t = token(random);
      }
      blocks[b].resize(static_cast<std::size_t>(blocks_per_seq));
      std::iota(blocks[b].begin(), blocks[b].end(), (b + 1) * blocks_per_seq);
    }
    std::vector<float> logits(vocab * static_cast<std::size_t>(batch));
    double best = 1e30;
    for (int r = 0; r < args.repeat; ++r) {
      std::vector<disaggd_forward_sequence> slices(static_cast<std::size_t>(batch));
      for (int b = 0; b < batch; ++b) {  // the 16-token context, not timed
        slices[b] = {
            tokens[b].data(), 16, 0, blocks[b].data(), static_cast<uint32_t>(blocks[b].size()), 1};
      }
      check((*backend)->forward(slices, logits));
      const auto start = Clock::now();
      for (int step = 0; step < args.decode; ++step) {
        for (int b = 0; b < batch; ++b) {
          slices[b] = {tokens[b].data() + 16 + step,
                       1,
                       static_cast<uint32_t>(16 + step),
                       blocks[b].data(),
                       static_cast<uint32_t>(blocks[b].size()),
                       1};
        }
        check((*backend)->forward(slices, logits));
      }
      best = std::min(best, seconds_since(start));
    }
    std::printf("decode batch=%d steps=%d seconds=%.4f tokens_per_s=%.2f\n", batch, args.decode,
                best, batch * args.decode / best);
  }
  return 0;
}
