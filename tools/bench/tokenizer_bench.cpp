// disaggd-tokenizer-bench: encoding speed of a model folder's tokenizer on synthetic text.
//
//   disaggd-tokenizer-bench --model DIR [--mib 1]
//
// Prints "tokenizer model=DIR kind=... tokens_per_s=... mb_per_s=...".
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/tokenizer/tokenizer_benchmark.h"
#include "engine/tokenizer/tokenizer_loader.h"

int main(int argc, char** argv) {
  std::string model;
  double mib = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--model") {
      model = argv[i + 1];
    } else if (flag == "--mib") {
      mib = std::atof(argv[i + 1]);
    }
  }
  if (model.empty()) {
    std::fprintf(stderr, "usage: disaggd-tokenizer-bench --model DIR [--mib M]\n");
    return 64;
  }
  auto tokenizer = disaggd::engine::load_tokenizer(model);
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "disaggd-tokenizer-bench: %s\n", tokenizer.status().message().c_str());
    return 1;
  }
  const std::string text =
      disaggd::engine::make_benchmark_text(static_cast<std::size_t>(mib * 1024 * 1024), 7);
  const auto speed = disaggd::engine::measure_encode_speed(**tokenizer, text, 1.0);
  if (!speed.ok()) {
    std::fprintf(stderr, "disaggd-tokenizer-bench: %s\n", speed.status().message().c_str());
    return 1;
  }
  std::printf("tokenizer model=%s kind=%s tokens_per_s=%.0f mb_per_s=%.1f\n", model.c_str(),
              (*tokenizer)->description().c_str(), speed->tokens_per_second,
              speed->megabytes_per_second);
  return 0;
}
